"""`build_variant()`: one quantized or pruned artifact with its sidecar, compression audit and validation.

Steps:
1. prune the fused model when requested;
2. convert it with `converters.convert` (TFLite float32, or CoreML float16 at the deployment
   target the compression needs);
3. quantize or compress, and write the artifact, its sidecar NAME.json (the converter's fields
   with the new kind plus a `compression` entry) and NAME.audit.json;
4. fail when the audit finds the compression missing;
5. validate against the float model the artifact was made from.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from pathlib import Path
from typing import Callable

from converters import convert
from converters.digest import sha256_path, size_bytes
from converters.reuse import reusable_artifact
from converters.outputs import check_output_artifact
from converters.sidecar import write_sidecar
from msg_model.atomic import make_folder
from msg_model.spec import LoadedModel
from quantization.audit import CompressionAudit, write_audit
from quantization.options import QuantizeOptions
from quantization.pruned_model import PrunedModel, prune_loaded

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
SUFFIXES = {"tflite": ".tflite", "coreml": ".mlpackage"}


@dataclasses.dataclass(frozen=True)
class VariantResult:
    path: Path
    sidecar: Path
    audit_path: Path
    audit: CompressionAudit
    kind: str
    size_bytes: int
    reference: LoadedModel  # the float model the artifact was validated against (the pruned one for pruned variants)
    recipe_path: Path | None = None
    validation: object | None = None  # validation.ValidationResult when validated
    pruning: PrunedModel | None = None


def cached_float_tflite(model: LoadedModel, workdir: Path, name: str, transform: Callable[[LoadedModel], LoadedModel] | None = None) -> Path:
    """`workdir/NAME.tflite` converted from `model` (after `transform`, when given), reused when already there."""
    path = workdir / f"{name}.tflite"
    if reusable_artifact(model, path, "tflite-fp32"):
        logger.info("reusing %s", path)
        return path
    convert(transform(model) if transform else model, target="tflite", precision="fp32", out_dir=workdir, name=name)
    return path


def write_variant_sidecar(base_sidecar: dict, artifact: Path, options: QuantizeOptions, compression: dict) -> Path:
    fields = dict(base_sidecar)
    fields.update(
        kind=options.kind,
        variant=options.variant,
        sha256=sha256_path(artifact),
        size_bytes=size_bytes(artifact),
        compression=compression,
    )
    return write_sidecar(artifact, fields)


def compression_fields(options: QuantizeOptions, pruning: PrunedModel | None, extra: dict) -> dict:
    fields = {"scheme": options.scheme, **extra}
    if pruning is not None:
        fields["pruning"] = pruning.describe()
    return fields


def build_variant(
    model: LoadedModel,
    options: QuantizeOptions,
    *,
    out_dir: Path,
    name: str | None = None,
    workdir: Path | None = None,
    progress: Progress | None = None,
) -> VariantResult:
    """Make the variant `options` describes from `model`; write NAME.ext, NAME.json and NAME.audit.json into `out_dir`.

    Raises CompressionNotApplied when the audit finds the compression missing. Intermediate
    float conversions go to `workdir` (reused there when they match the model) or a temporary folder.
    """
    report = progress or (lambda message: logger.info("%s", message))
    out_dir = Path(out_dir)
    make_folder(out_dir, "--out folder")
    name = name or options.kind
    check_output_artifact(out_dir, name, options.target)
    pruning = None
    if options.prune is not None:
        report(f"pruning {options.prune:.0%} of {'hidden channels' if options.structured else 'weights'}")
        pruning = prune_loaded(model, options)
        model = pruning.model
    with tempfile.TemporaryDirectory(prefix="msg-quantize-") as temporary:
        work = Path(workdir) if workdir is not None else Path(temporary)
        make_folder(work, "--workdir folder")
        if options.target == "tflite":
            from quantization.tflite_variant import build_tflite

            built = build_tflite(model, options, out_dir, name, work, report)
        else:
            from quantization.coreml_variant import build_coreml

            built = build_coreml(model, options, out_dir, name, work, report)

    sidecar = write_variant_sidecar(built.base_sidecar, built.path, options, compression_fields(options, pruning, built.compression))
    audit_file = write_audit(built.audit, built.path)
    report(f"audit: {built.audit.summary()}")
    built.audit.check()
    result = VariantResult(built.path, sidecar, audit_file, built.audit, options.kind, size_bytes(built.path), model, built.recipe_path, None, pruning)
    if options.validate:
        from quantization.variant_validation import validate_variant

        report(f"validating {built.path.name} against the float model on seeds {options.seeds[0]}-{options.seeds[-1]}")
        result = dataclasses.replace(result, validation=validate_variant(result, options))
    return result


@dataclasses.dataclass(frozen=True)
class BuiltArtifact:
    """The result of a target-specific builder, which `build_variant` finishes."""

    path: Path
    base_sidecar: dict
    audit: CompressionAudit
    compression: dict
    recipe_path: Path | None = None

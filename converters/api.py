"""`convert()`: fused model -> CoreML .mlpackage or TFLite .tflite, plus its sidecar.

Each conversion runs the same steps: wrap the fused network with named inputs and outputs, export
with torch.export and check the graph, convert, add metadata, save atomically, write the sidecar.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from converters.artifact import Artifact
from converters.digest import sha256_path, size_bytes
from converters.export import export_program, verify_program
from converters.exportable import ExportableModel, build_exportable
from converters.metadata import ArtifactMetadata, build_metadata
from converters.options import DEFAULT_TRUNCATION_PSI, ConvertOptions
from converters.outputs import check_output_artifact
from converters.sidecar import write_sidecar
from msg_model.spec import LoadedModel

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[str], None]


def write_tflite_artifact(program, exportable: ExportableModel, options: ConvertOptions, path: Path, report: ProgressCallback) -> None:
    from converters.tflite import check_tflite_ops, convert_tflite, write_tflite

    report("converting to TFLite")
    content = convert_tflite(program, exportable, options.precision)
    report("writing the .tflite file")
    write_tflite(content, path)
    check_tflite_ops(path)


def write_coreml_artifact(program, exportable: ExportableModel, options: ConvertOptions, metadata: ArtifactMetadata, path: Path, report: ProgressCallback) -> None:
    from converters.coreml import convert_coreml, save_mlpackage
    from converters.coreml_metadata import apply_coreml_metadata

    report("converting to CoreML")
    mlmodel = convert_coreml(program, exportable, options)
    apply_coreml_metadata(mlmodel, metadata)
    report("writing the .mlpackage")
    save_mlpackage(mlmodel, path)


def convert_with_options(
    model: LoadedModel, options: ConvertOptions, *, out_dir: Path, name: str | None = None, progress: ProgressCallback | None = None
) -> Artifact:
    """Convert `model` with `options` and write NAME.tflite or NAME.mlpackage plus NAME.json into `out_dir`."""
    report = progress or (lambda step: None)
    path = check_output_artifact(Path(out_dir), name or options.default_name(), options.target)

    report("exporting with torch.export")
    exportable = build_exportable(model, options)
    program = export_program(exportable)
    verify_program(program)
    metadata = build_metadata(model, options, exportable)

    if options.target == "tflite":
        write_tflite_artifact(program, exportable, options, path, report)
    else:
        write_coreml_artifact(program, exportable, options, metadata, path, report)

    report("writing the sidecar")
    digest, size = sha256_path(path), size_bytes(path)
    sidecar = write_sidecar(path, metadata.sidecar(digest, size))
    logger.debug("wrote %s (%d bytes) and %s", path, size, sidecar.name)
    return Artifact(path, sidecar, options.kind, options.target, options.role, exportable.inputs, exportable.outputs, size, digest)


def convert(
    model: LoadedModel,
    *,
    target: str,
    precision: str | None = None,
    input_kind: str = "w",
    image_output: str = "float",
    out_dir: Path,
    name: str | None = None,
    truncation_psi: float = DEFAULT_TRUNCATION_PSI,
    deployment_target: str | None = None,
    progress: ProgressCallback | None = None,
) -> Artifact:
    """Convert the fused synthesis network (`input_kind` "w" or "w_plus") or the z-input generator ("z").

    `precision=None` picks CoreML fp16 or TFLite fp32; TFLite "fp16" means float16 weights
    ("tflite-fp16w"). `truncation_psi` is baked only for `input_kind="z"`. Raises
    `InvalidInputError` for an invalid or unsupported combination.
    """
    options = ConvertOptions(
        target=target,
        precision=precision,
        input_kind=input_kind,
        image_output=image_output,
        truncation_psi=truncation_psi,
        deployment_target=deployment_target,
    )
    return convert_with_options(model, options, out_dir=out_dir, name=name, progress=progress)


def convert_mapping(
    model: LoadedModel,
    *,
    target: str,
    precision: str | None = None,
    out_dir: Path,
    name: str | None = None,
    deployment_target: str | None = None,
    progress: ProgressCallback | None = None,
) -> Artifact:
    """Convert the fused mapping network: inputs `z` (1, D) and `psi` (1, 1), output `w` (1, D)."""
    options = ConvertOptions(target=target, precision=precision, deployment_target=deployment_target, mapping=True)
    return convert_with_options(model, options, out_dir=out_dir, name=name, progress=progress)

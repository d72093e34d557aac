"""The CoreML half of `build_variant`: float16 conversion at the needed deployment target, then compression."""

from __future__ import annotations

from pathlib import Path

from converters import convert, read_sidecar
from converters.coreml import import_coremltools, save_mlpackage
from msg_model.spec import LoadedModel
from quantization.calibration import calibration_seeds, calibration_ws
from quantization.coreml_audit import audit_coreml
from quantization.coreml_compress import CoreMLCompression, compress, required_deployment_target
from quantization.options import QuantizeOptions


def storage_scheme(options: QuantizeOptions) -> str:
    """Return the compression to apply: the scheme itself, or sparse storage for an unstructured-pruned float model."""
    if options.scheme == "float":
        return "sparse" if options.prune is not None and not options.structured else "float"
    return options.scheme


def activation_samples(model: LoadedModel, options: QuantizeOptions) -> list[dict]:
    ws = calibration_ws(model, options.calibration_samples, options.truncation_psi).numpy()
    return [{"w": row[None]} for row in ws]


def mark_kind(mlmodel, options: QuantizeOptions) -> None:
    """Record the variant's kind in the package's own metadata, as the converter does for float models."""
    from converters.coreml_metadata import METADATA_PREFIX

    mlmodel.user_defined_metadata[METADATA_PREFIX + "kind"] = options.kind
    mlmodel.user_defined_metadata[METADATA_PREFIX + "variant"] = options.variant


def build_coreml(model: LoadedModel, options: QuantizeOptions, out_dir: Path, name: str, work: Path, report):
    from quantization.variants import BuiltArtifact

    scheme = storage_scheme(options)
    target = required_deployment_target(scheme if scheme != "float" else "int8w", options.deployment_target)
    path = out_dir / f"{name}.mlpackage"
    report(f"converting to CoreML float16 ({target})")
    base = convert(model, target="coreml", precision="fp16", out_dir=work, name=f"coreml-fp16-{target}", deployment_target=target)
    ct = import_coremltools()
    mlmodel = ct.models.MLModel(str(base.path), skip_model_load=True)
    extra = {"tool": f"coremltools {ct.__version__}", "deployment_target": target, "weight_threshold": options.weight_threshold}
    if scheme != "float":
        samples = None
        if scheme == "w8a8":
            report(f"measuring activation ranges with the reference runner on {options.calibration_samples} latents")
            samples = activation_samples(model, options)
            seeds = calibration_seeds(options.calibration_samples)
            extra["calibration"] = {"samples": len(samples), "seeds": f"{seeds[0]}-{seeds[-1]}", "truncation_psi": options.truncation_psi, "ranges": "min/max per tensor"}
        report(f"compressing ({scheme})")
        mlmodel = compress(mlmodel, CoreMLCompression(scheme, options.weight_threshold), samples)
    mark_kind(mlmodel, options)
    save_mlpackage(mlmodel, path)
    audit = audit_coreml(path, options.kind, scheme, options.weight_threshold, pruned=options.prune is not None)
    return BuiltArtifact(path, read_sidecar(base.path), audit, extra)

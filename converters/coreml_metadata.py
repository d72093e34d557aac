"""CoreML model metadata: what Xcode shows for the model and what apps can read at run time."""

from __future__ import annotations

from converters.metadata import ArtifactMetadata

AUTHOR = "mobilestylegan-deploy"
METADATA_PREFIX = "mobilestylegan."


def user_metadata(metadata: ArtifactMetadata) -> dict[str, str]:
    """String key/value pairs for `user_defined_metadata` (CoreML stores strings only)."""
    values = {
        "kind": metadata.kind,
        "role": metadata.role,
        "variant": metadata.variant,
        "input": metadata.input,
        "image_output": metadata.image_output,
        "truncation_psi": metadata.truncation_psi,
        "noise_mode": metadata.noise_mode,
        "noise_seed": metadata.noise_seed,
        "source_model": metadata.source_model,
        "source_sha256": metadata.source_sha256,
        "toolkit_version": metadata.toolkit_version,
        "deployment_target": metadata.deployment_target,
    }
    for spec in (*metadata.inputs, *metadata.outputs):
        values[f"tensor.{spec.name}.shape"] = "x".join(str(size) for size in spec.shape)
        values[f"tensor.{spec.name}.dtype"] = spec.dtype
    return {METADATA_PREFIX + key: str(value) for key, value in values.items() if value is not None}


def apply_coreml_metadata(mlmodel, metadata: ArtifactMetadata) -> None:
    """Set description, author, licence, version, tensor descriptions and user metadata on an MLModel."""
    mlmodel.short_description = metadata.short_description()
    mlmodel.author = f"{AUTHOR} {metadata.toolkit_version}; weights: {metadata.source_description or metadata.source_model}"
    mlmodel.license = metadata.licence
    mlmodel.version = metadata.toolkit_version
    for spec in metadata.inputs:
        mlmodel.input_description[spec.name] = spec.description
    for spec in metadata.outputs:
        mlmodel.output_description[spec.name] = spec.description
    mlmodel.user_defined_metadata.update(user_metadata(metadata))

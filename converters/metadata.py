"""The facts recorded with every converted model: in its sidecar, and in CoreML's own metadata."""

from __future__ import annotations

import dataclasses
import datetime

from converters.exportable import ExportableModel
from converters.options import ConvertOptions
from converters.provenance import code_fingerprint, noise_info, toolkit_version
from msg_model.contract import TensorSpec
from msg_model.spec import LoadedModel

ROLE_SUMMARIES = {
    "synthesis": "MobileStyleGAN synthesis network: latent w -> RGB image",
    "mapping": "MobileStyleGAN mapping network: z and truncation psi -> latent w",
    "generator": "MobileStyleGAN generator: z -> RGB image, mapping network and truncation inside",
}


def tensor_dict(spec: TensorSpec) -> dict:
    return {"name": spec.name, "shape": list(spec.shape), "dtype": spec.dtype, "description": spec.description}


@dataclasses.dataclass(frozen=True)
class ArtifactMetadata:
    """Everything the sidecar records except the artifact's own size and sha256."""

    kind: str
    target: str
    role: str
    variant: str
    input: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    image_output: str | None  # None for the mapping network, which has no image
    truncation_psi: float | None  # only for role "generator", where it is baked
    noise_mode: str
    noise_seed: int | None
    source_model: str
    source_sha256: str | None
    source_description: str
    licence: str
    toolkit_version: str
    toolkit_code: str  # fingerprint of the toolkit source that made the file (provenance.code_fingerprint)
    deployment_target: str | None  # CoreML only
    created: str

    def short_description(self) -> str:
        resolution = next((spec.shape[-1] for spec in self.outputs if spec.name == "image"), None)
        size = f" {resolution}x{resolution}" if resolution else ""
        psi = f", truncation psi {self.truncation_psi:g}" if self.truncation_psi is not None else ""
        return f"{ROLE_SUMMARIES[self.role]}{size} ({self.kind}{psi}), converted from {self.source_model}"

    def sidecar(self, sha256: str, size_bytes: int) -> dict:
        """Build the sidecar JSON object. Keys with no meaning for the role, such as image_output of a mapping, are left out."""
        fields = dataclasses.asdict(self)
        fields["inputs"] = [tensor_dict(spec) for spec in self.inputs]
        fields["outputs"] = [tensor_dict(spec) for spec in self.outputs]
        for optional in ("image_output", "truncation_psi", "deployment_target"):
            if fields[optional] is None:
                del fields[optional]
        fields["sha256"] = sha256
        fields["size_bytes"] = size_bytes
        return fields


def build_metadata(model: LoadedModel, options: ConvertOptions, exportable: ExportableModel) -> ArtifactMetadata:
    noise_mode, noise_seed = noise_info(model)
    return ArtifactMetadata(
        kind=options.kind,
        target=options.target,
        role=options.role,
        variant=options.variant,
        input=options.sidecar_input,
        inputs=exportable.inputs,
        outputs=exportable.outputs,
        image_output=None if options.role == "mapping" else options.image_output,
        truncation_psi=float(options.truncation_psi) if options.role == "generator" else None,
        noise_mode=noise_mode,
        noise_seed=noise_seed,
        source_model=model.spec,
        source_sha256=model.source_sha256,
        source_description=model.description,
        licence=model.licence,
        toolkit_version=toolkit_version(),
        toolkit_code=code_fingerprint(),
        deployment_target=options.deployment_target if options.target == "coreml" else None,
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    )

"""The toolkit's file for fused models (for example pruned ones, which have no trainable form).

safetensors with the synthesis under `synthesis.`, the mapping under `mapping.`, and as metadata
the generator config, the layer widths, the noise flag and the source model.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import save_file

from msg_model.atomic import atomic_path
from msg_model.config import GeneratorConfig
from msg_model.errors import CheckpointError
from msg_model.fused import FusedSynthesis, LayerWidths
from msg_model.mapping_fused import FusedMapping

FUSED_FORMAT = "mobilestylegan-deploy/fused-1"


def read_format_tag(path: Path) -> str | None:
    """Return the `format` metadata entry of a safetensors file, or None when it has none."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            return (handle.metadata() or {}).get("format")
    except Exception as error:  # safetensors raises its own error type for damaged headers
        raise CheckpointError(f"{path} is not a readable safetensors file ({error}); the file may be truncated") from None


def save_fused_model(synthesis: FusedSynthesis, mapping: FusedMapping, path: Path | str, source: str = "") -> Path:
    path = Path(path)
    tensors = {f"synthesis.{k}": v.detach().contiguous() for k, v in synthesis.state_dict().items()}
    tensors |= {f"mapping.{k}": v.detach().contiguous() for k, v in mapping.state_dict().items()}
    metadata = {
        "format": FUSED_FORMAT,
        "config": synthesis.config.to_json(),
        "widths": json.dumps(dataclasses.asdict(synthesis.widths)),
        "with_noise": json.dumps(synthesis.with_noise),
        "source": source,
    }
    with atomic_path(path) as temporary:
        save_file(tensors, str(temporary), metadata=metadata)
    return path


def load_fused_model(path: Path | str) -> tuple[FusedSynthesis, FusedMapping, dict]:
    """Read a file written by `save_fused_model`; returns synthesis, mapping and the metadata."""
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}
        config = GeneratorConfig.from_json(metadata["config"])
        widths_fields = json.loads(metadata["widths"])
        widths = LayerWidths(widths_fields["first"], tuple(tuple(pair) for pair in widths_fields["blocks"]))
        with_noise = json.loads(metadata["with_noise"])
    except (KeyError, ValueError, TypeError) as error:
        raise CheckpointError(f"{path} is not a valid fused model file ({error})") from None

    synthesis = FusedSynthesis(config, with_noise=with_noise, widths=widths)
    mapping = FusedMapping(config)
    for module, prefix in ((synthesis, "synthesis."), (mapping, "mapping.")):
        part = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        try:
            module.load_state_dict(part, strict=True)
        except RuntimeError as error:
            first_line = str(error).splitlines()[0]
            raise CheckpointError(f"{path} does not match its own config: {first_line}") from None
    return synthesis.eval(), mapping.eval(), metadata

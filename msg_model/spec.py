"""Model specs: one string names any generator the toolkit can load.

- `pretrained:ffhq`: the released FFHQ 1024x1024 model (OpenVINO IR from the random-face wheel);
- a folder holding `SynthesisNetwork.xml`/`.bin` and `MappingNetwork.xml`/`.bin`: an OpenVINO IR export;
- `*.safetensors`: the toolkit's own files (a trainable generator, or a fused model such as a pruned one);
- `*.ckpt`, `*.pt`, `*.pth`: an official MobileStyleGAN training checkpoint;
- `random:small`, `random:ffhq`: seeded random weights, for tests and dry runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import torch

from msg_model.config import FFHQ_CONFIG, GeneratorConfig
from msg_model.errors import InvalidInputError
from msg_model.fuse import fuse, fuse_mapping
from msg_model.fused import FusedSynthesis
from msg_model.generator import Generator
from msg_model.mapping_fused import FusedMapping

SMALL_CONFIG = GeneratorConfig(style_dim=64, channels=(64, 64, 32, 16))
RANDOM_CONFIGS = {"small": SMALL_CONFIG, "ffhq": FFHQ_CONFIG}
CHECKPOINT_SUFFIXES = (".ckpt", ".pt", ".pth")
SPEC_HELP = "pretrained:ffhq, random:small, random:ffhq, an OpenVINO IR folder, a .safetensors file or an official .ckpt"


@dataclasses.dataclass
class LoadedModel:
    """A generator ready for conversion: fused synthesis and mapping, plus where it came from."""

    spec: str
    config: GeneratorConfig
    synthesis: FusedSynthesis
    mapping: FusedMapping
    source_sha256: str | None = None
    generator: Generator | None = None  # the trainable form, when the source has one
    licence: str = "unknown; check the licence of the source weights"
    description: str = ""


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def random_generator(config: GeneratorConfig, seed: int = 0) -> Generator:
    """A generator with seeded random weights whose images have a plausible range."""
    torch.manual_seed(seed)
    generator = Generator(config).eval()
    with torch.no_grad():
        for name, parameter in generator.synthesis.named_parameters():
            if name.endswith("noise.weight"):
                parameter.fill_(0.1)
            elif name.endswith("bias") and "modulation" not in name:
                parameter.normal_(0.0, 0.1)
        generator.compute_w_avg()
    return generator


def from_generator(spec: str, generator: Generator, source_sha256: str | None = None, **fields) -> LoadedModel:
    generator = generator.eval()
    return LoadedModel(
        spec=spec,
        config=generator.config,
        synthesis=fuse(generator),
        mapping=fuse_mapping(generator),
        source_sha256=source_sha256,
        generator=generator,
        **fields,
    )


def load_safetensors(spec: str, path: Path) -> LoadedModel:
    """Load either of the toolkit's safetensors files: a trainable generator or a fused model."""
    from msg_model import checkpoints, fused_file

    if fused_file.read_format_tag(path) == fused_file.FUSED_FORMAT:
        synthesis, mapping, metadata = fused_file.load_fused_model(path)
        description = f"fused model derived from {metadata.get('source') or 'an unknown source'}"
        return LoadedModel(spec, synthesis.config, synthesis, mapping, sha256_file(path), description=description)
    return from_generator(spec, checkpoints.load_generator(path), sha256_file(path))


def load_model(spec: str, *, trust_checkpoint: bool = False, cache_dir: Path | None = None) -> LoadedModel:
    """Resolve a model spec into a `LoadedModel`; raise `InvalidInputError` for an unknown spec."""
    from msg_model import checkpoints

    if spec.startswith("pretrained:"):
        from msg_model import pretrained

        return pretrained.load_pretrained(spec.split(":", 1)[1], cache_dir=cache_dir)
    if spec.startswith("random:"):
        name = spec.split(":", 1)[1]
        if name not in RANDOM_CONFIGS:
            raise InvalidInputError(f"unknown random model {name!r}; expected one of {', '.join(RANDOM_CONFIGS)}")
        return from_generator(spec, random_generator(RANDOM_CONFIGS[name]), description=f"random weights ({name})")

    path = Path(spec)
    if path.is_dir():
        from msg_model import ir_import

        return ir_import.load_ir_folder(path)
    if not path.exists():
        raise InvalidInputError(f"model {spec!r} not found; expected {SPEC_HELP}")
    if path.suffix == ".safetensors":
        return load_safetensors(spec, path)
    if path.suffix in CHECKPOINT_SUFFIXES:
        generator = checkpoints.load_official_checkpoint(path, trust_checkpoint=trust_checkpoint)
        return from_generator(spec, generator, sha256_file(path))
    raise InvalidInputError(f"cannot tell the format of {spec!r} from its suffix {path.suffix!r}; expected {SPEC_HELP}")

"""Architecture hyperparameters of a MobileStyleGAN generator."""

from __future__ import annotations

import dataclasses
import json

FFHQ_CHANNELS = (512, 512, 512, 512, 512, 256, 128, 64)


@dataclasses.dataclass(frozen=True)
class GeneratorConfig:
    """Shape of a MobileStyleGAN generator: the mapping network and the student synthesis network.

    `channels[0]` is the width of the 4x4 constant and of the first 3x3 conv; block `i` maps
    `channels[i]` to `channels[i + 1]` at twice the resolution. The final inverse DWT doubles the
    resolution once more, so the image side is `4 * 2 ** len(channels)`.
    """

    style_dim: int = 512
    channels: tuple[int, ...] = FFHQ_CHANNELS
    num_mapping_layers: int = 8
    mapping_lr_mul: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))
        if self.style_dim < 1:
            raise ValueError(f"style_dim must be positive, got {self.style_dim}")
        if len(self.channels) < 2:
            raise ValueError(
                f"channels needs at least 2 entries (the constant and one block), got {list(self.channels)}"
            )
        for width in self.channels[:-1]:
            if width < 4 or width % 4 != 0:
                raise ValueError(
                    f"every channel count that enters a block must be a positive multiple of 4 "
                    f"(the inverse DWT splits it into 4 bands), got {width} in {list(self.channels)}"
                )
        if self.channels[-1] < 1:
            raise ValueError(f"channel counts must be positive, got {list(self.channels)}")
        if self.num_mapping_layers < 1:
            raise ValueError(f"num_mapping_layers must be positive, got {self.num_mapping_layers}")

    @property
    def num_blocks(self) -> int:
        return len(self.channels) - 1

    @property
    def num_ws(self) -> int:
        """Number of style vectors in W+: the first conv, the first head, then 3 per block."""
        return 2 + 3 * self.num_blocks

    @property
    def resolution(self) -> int:
        return 4 * 2 ** len(self.channels)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "GeneratorConfig":
        fields = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise ValueError(f"unknown generator config fields {unknown}; known fields are {sorted(known)}")
        return cls(**fields)


FFHQ_CONFIG = GeneratorConfig()

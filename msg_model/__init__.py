"""MobileStyleGAN in PyTorch: the trainable generator, its fused inference form, and model loaders."""

from msg_model.config import FFHQ_CONFIG, GeneratorConfig
from msg_model.fuse import fuse, fuse_mapping
from msg_model.fused import FusedSynthesis
from msg_model.generator import Generator, truncate, z_from_seed, z_from_seeds
from msg_model.mapping_fused import FusedMapping

__all__ = [
    "FFHQ_CONFIG",
    "FusedMapping",
    "FusedSynthesis",
    "Generator",
    "GeneratorConfig",
    "fuse",
    "fuse_mapping",
    "truncate",
    "z_from_seed",
    "z_from_seeds",
]

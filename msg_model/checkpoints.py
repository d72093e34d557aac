"""Readers and writers of generator checkpoints.

Two formats:
- official MobileStyleGAN training checkpoints: PyTorch Lightning pickles whose `state_dict`
  holds the student under `student.`, the mapping network under `mapping_net.` and `style_mean`;
- the toolkit's own file: safetensors weights with the generator config as JSON metadata.
"""

from __future__ import annotations

import json
import math
import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from msg_model.atomic import atomic_path
from msg_model.config import GeneratorConfig
from msg_model.errors import CheckpointError
from msg_model.generator import Generator
from msg_model.layers import haar_synthesis_filters

TOOLKIT_FORMAT = "mobilestylegan-deploy/1"
MAX_LISTED_OFFENDERS = 5


def checkpoint_allowlist() -> list:
    """Globals besides tensors and plain containers that an official checkpoint may contain.

    Lightning stores callback state such as `best_model_score`, which can be a numpy scalar.
    Numpy scalars and dtypes rebuild plain values and run no code of the file's choosing.
    """
    multiarray = np._core.multiarray if hasattr(np, "_core") else np.core.multiarray
    return [multiarray.scalar, np.dtype, type(np.dtype(np.float64)), type(np.dtype(np.float32)), type(np.dtype(np.int64))]


def is_fixed_official_key(name: str) -> bool:
    """True for official keys that hold no learned weights: the IDWT filters and `device_info`."""
    return name.rsplit(".", 1)[-1] == "device_info" or ".idwt.g" in f".{name}"


# torch.save writes a zip archive; before PyTorch 1.6 it wrote a pickle that starts with this magic number.
ZIP_MAGIC = b"PK\x03\x04"
TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."


def is_torch_save_file(path: Path) -> bool:
    """Return whether `path` starts the way torch.save files start (a zip archive or the legacy pickle).

    A truncated download still passes, so that loading it reports the truncation.
    """
    with open(path, "rb") as handle:
        head = handle.read(len(TORCH_LEGACY_MAGIC))
    return head.startswith(ZIP_MAGIC) or head == TORCH_LEGACY_MAGIC


def read_pickle_checkpoint(path: Path, trust_checkpoint: bool) -> dict:
    """Unpickle `path` with `weights_only=True` and a narrow allowlist unless the user trusts it."""
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    if not is_torch_save_file(path):
        raise CheckpointError(
            f"{path} is not a PyTorch checkpoint: torch.save writes a zip archive, and this file is not one; "
            f"expected an official MobileStyleGAN training checkpoint"
        )
    try:
        if trust_checkpoint:
            return torch.load(path, map_location="cpu", weights_only=False)
        with torch.serialization.safe_globals(checkpoint_allowlist()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if "weights_only" in str(error) or "global" in str(error).lower():
            raise CheckpointError(
                f"{path} contains Python objects outside the safe allowlist ({first_line}); "
                f"if you trust the file's origin, pass --trust-checkpoint to load it as a full pickle"
            ) from None
        raise CheckpointError(f"{path} is not a readable PyTorch checkpoint ({first_line})") from None
    except (AttributeError, ImportError) as error:
        # Only a full pickle (--trust-checkpoint) imports classes, and it fails when their module is missing here.
        raise CheckpointError(
            f"{path} needs a Python class that cannot be imported here ({error}); install the package that defines it"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(
            f"{path} is not a readable PyTorch checkpoint ({reason}); the file may be truncated, re-download it"
        ) from None


def split_official_state_dict(state_dict: dict) -> tuple[dict, dict, torch.Tensor | None]:
    """Pick the student, mapping and style_mean entries out of an official training state_dict."""
    student = {k[len("student."):]: v for k, v in state_dict.items() if k.startswith("student.")}
    mapping = {k[len("mapping_net."):]: v for k, v in state_dict.items() if k.startswith("mapping_net.")}
    style_mean = state_dict.get("style_mean")
    if not student:
        sample = ", ".join(list(state_dict)[:MAX_LISTED_OFFENDERS])
        raise CheckpointError(
            f"no keys with the prefix 'student.' in the checkpoint (first keys: {sample}); "
            f"expected an official MobileStyleGAN training checkpoint"
        )
    return student, mapping, style_mean


def infer_config(student: dict, mapping: dict) -> GeneratorConfig:
    """Read the channel list and style size off the tensor shapes of an official state_dict."""
    try:
        channels = [student["conv1.conv.weight"].shape[0]]
        block = 0
        while f"layers.{block}.conv2.bias" in student:
            channels.append(student[f"layers.{block}.conv2.bias"].shape[1])
            block += 1
        style_dim = student["conv1.conv.modulation.weight"].shape[1]
    except KeyError as error:
        raise CheckpointError(f"the student state_dict is missing {error.args[0]!r}; not a MobileStyleGAN student") from None
    except IndexError:
        raise CheckpointError(
            "the student tensors conv1.conv.weight, layers.N.conv2.bias or conv1.conv.modulation.weight have fewer "
            "dimensions than a MobileStyleGAN student's; the checkpoint is damaged or from another model"
        ) from None
    num_mapping = sum(1 for k in mapping if k.startswith("layers.") and k.endswith(".weight"))
    try:
        return GeneratorConfig(style_dim=style_dim, channels=tuple(channels), num_mapping_layers=num_mapping or 8)
    except ValueError as error:
        raise CheckpointError(f"the student tensor shapes give an invalid generator config ({error}); the checkpoint is damaged or from another model") from None


def describe_mismatches(expected: dict, found: dict, prefix: str) -> list[str]:
    """List missing, unexpected and mis-shaped tensors, each with both shapes where it has them."""
    problems = []
    for name, tensor in expected.items():
        if name not in found:
            problems.append(f"missing {prefix}{name} {tuple(tensor.shape)}")
        elif tuple(found[name].shape) != tuple(tensor.shape):
            problems.append(
                f"{prefix}{name} has shape {tuple(found[name].shape)}, expected {tuple(tensor.shape)}"
            )
    problems += [f"unexpected {prefix}{name} {tuple(found[name].shape)}" for name in found if name not in expected]
    return problems


def check_fixed_filters(student: dict) -> None:
    """Reject a checkpoint whose stored IDWT filters are not the Haar filters this toolkit implements."""
    reference = haar_synthesis_filters()
    for name, value in student.items():
        if ".idwt.g" not in f".{name}":
            continue
        expected = reference[name.rsplit(".", 1)[-1]]
        if value.shape != expected.shape or not torch.allclose(value.float(), expected, atol=1e-6):
            raise CheckpointError(
                f"{name} contains {value.flatten().tolist()}, not the 'db1' Haar filter {expected.flatten().tolist()}; "
                f"only Haar-wavelet students are supported"
            )


def load_strict(module: torch.nn.Module, found: dict, prefix: str, source: Path) -> None:
    """Load `found` into `module`; any missing, unexpected or mis-shaped tensor rejects the file."""
    expected = {k: v for k, v in module.state_dict().items() if not is_fixed_official_key(k)}
    found = {k: v for k, v in found.items() if not is_fixed_official_key(k)}
    problems = describe_mismatches(expected, found, prefix)
    if problems:
        shown = "; ".join(problems[:MAX_LISTED_OFFENDERS])
        more = f" (and {len(problems) - MAX_LISTED_OFFENDERS} more)" if len(problems) > MAX_LISTED_OFFENDERS else ""
        raise CheckpointError(f"{source} does not match the generator: {shown}{more}")
    module.load_state_dict(found, strict=False)


def generator_from_official_state_dict(state_dict: dict, source: Path) -> Generator:
    student, mapping, style_mean = split_official_state_dict(state_dict)
    check_fixed_filters(student)
    config = infer_config(student, mapping)
    generator = Generator(config)
    load_strict(generator.synthesis, student, "student.", source)
    if mapping:
        load_strict(generator.mapping, mapping, "mapping_net.", source)
    if style_mean is not None:
        # style_mean is (1, style_dim) or (1, num_ws, style_dim) with identical rows.
        generator.w_avg.copy_(style_mean.reshape(-1, config.style_dim)[:1])
    else:
        generator.compute_w_avg()
    return generator


def load_official_checkpoint(path: Path | str, trust_checkpoint: bool = False) -> Generator:
    """Load an official MobileStyleGAN training checkpoint (or a bare state_dict of one)."""
    path = Path(path)
    payload = read_pickle_checkpoint(path, trust_checkpoint)
    state_dict = payload.get("state_dict", payload) if isinstance(payload, dict) else None
    if not isinstance(state_dict, dict) or not all(isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise CheckpointError(f"{path} contains no state_dict of tensors; expected an official MobileStyleGAN checkpoint")
    return generator_from_official_state_dict(state_dict, path)


def save_generator(generator: Generator, path: Path | str) -> Path:
    """Write the toolkit's own file: safetensors weights, config and format tag as metadata."""
    path = Path(path)
    tensors = {k: v.detach().contiguous().cpu() for k, v in generator.state_dict().items() if not is_fixed_official_key(k)}
    metadata = {"format": TOOLKIT_FORMAT, "config": generator.config.to_json()}
    with atomic_path(path) as temporary:
        save_file(tensors, str(temporary), metadata=metadata)
    return path


def load_generator(path: Path | str) -> Generator:
    """Read a file written by `save_generator`; the round trip is exact."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    except Exception as error:  # safetensors raises its own SafetensorError and OSError variants
        raise CheckpointError(f"{path} is not a readable safetensors file ({error}); the file may be truncated") from None
    if metadata.get("format") != TOOLKIT_FORMAT:
        raise CheckpointError(
            f"{path} has format tag {metadata.get('format')!r}, expected {TOOLKIT_FORMAT!r}; "
            f"write it with `msg_model.save_generator`"
        )
    try:
        config = GeneratorConfig.from_json(metadata["config"])
    except (KeyError, ValueError, TypeError) as error:
        raise CheckpointError(f"{path} has an invalid generator config in its metadata: {error}") from None
    generator = Generator(config)
    load_strict(generator, tensors, "", path)
    return generator


def count_elements(state_dict: dict) -> int:
    return sum(math.prod(v.shape) for v in state_dict.values())


def official_state_dict(generator: Generator) -> dict:
    """The generator as an official-layout training state_dict (what `load_official_checkpoint` reads)."""
    state = {f"student.{k}": v for k, v in generator.synthesis.state_dict().items()}
    state |= {f"mapping_net.{k}": v for k, v in generator.mapping.state_dict().items()}
    state["style_mean"] = generator.w_avg.clone()
    return state


def metadata_json(path: Path) -> dict:
    with safe_open(str(path), framework="pt") as handle:
        return json.loads((handle.metadata() or {}).get("config", "{}"))

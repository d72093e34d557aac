"""Load a MobileStyleGAN OpenVINO IR export (synthesis and mapping networks) into the fused PyTorch form.

The folder holds `SynthesisNetwork.xml`/`.bin` (input `style`, W space, output the image) and
`MappingNetwork.xml`/`.bin` (z to w), the layout of the released model's IR. The IR does not store
w_avg, so it is computed from the mapping network and cached beside the IR files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from pathlib import Path

from msg_model.config import GeneratorConfig
from msg_model.errors import InvalidInputError
from msg_model.fused import FusedSynthesis
from msg_model.ir_mapping import import_mapping, match_mapping
from msg_model.ir_patterns import IRStructureError
from msg_model.ir_synthesis import import_synthesis, match_synthesis
from msg_model.mapping_fused import FusedMapping
from msg_model.openvino_ir import read_ir
from msg_model.spec import LoadedModel, sha256_file
from msg_model.w_avg_cache import cached_w_avg

logger = logging.getLogger(__name__)

SYNTHESIS_XML = "SynthesisNetwork.xml"
SYNTHESIS_BIN = "SynthesisNetwork.bin"
MAPPING_XML = "MappingNetwork.xml"
MAPPING_BIN = "MappingNetwork.bin"
IR_FILES = (MAPPING_XML, MAPPING_BIN, SYNTHESIS_XML, SYNTHESIS_BIN)


@dataclasses.dataclass(frozen=True)
class ImportedIR:
    config: GeneratorConfig
    synthesis: FusedSynthesis
    mapping: FusedMapping


def check_ir_folder(folder: Path) -> None:
    missing = [name for name in IR_FILES if not (folder / name).is_file()]
    if missing:
        raise InvalidInputError(
            f"OpenVINO IR folder {folder} lacks {', '.join(missing)}; expected the four files {', '.join(IR_FILES)}"
        )


def mapping_digest(folder: Path, file_sha256: dict[str, str]) -> str:
    """Hash the mapping network's two files into one sha256, the key of the w_avg cache."""
    parts = [file_sha256.get(name) or sha256_file(folder / name) for name in (MAPPING_XML, MAPPING_BIN)]
    return hashlib.sha256(":".join(parts).encode()).hexdigest()


def import_ir(folder: Path, file_sha256: dict[str, str] | None = None) -> ImportedIR:
    """Import the IR in `folder`. `file_sha256` (file name -> digest) skips hashing files already verified.

    Raises `IRStructureError` when a graph is not the expected MobileStyleGAN structure.
    """
    folder = Path(folder)
    check_ir_folder(folder)
    started = time.perf_counter()
    synthesis_graph = read_ir(folder / SYNTHESIS_XML, folder / SYNTHESIS_BIN)
    mapping_graph = read_ir(folder / MAPPING_XML, folder / MAPPING_BIN)

    synthesis_match = match_synthesis(synthesis_graph)
    linears = match_mapping(mapping_graph)
    config = synthesis_match.config(num_mapping_layers=len(linears))
    if linears[0][0].shape[1] != config.style_dim:
        raise IRStructureError(
            f"{mapping_graph.name}: z has {linears[0][0].shape[1]} values but the synthesis network's style has {config.style_dim}"
        )
    synthesis = import_synthesis(synthesis_graph, config, synthesis_match)
    mapping = import_mapping(mapping_graph, config, linears)
    mapping.w_avg.copy_(cached_w_avg(mapping, folder, mapping_digest(folder, file_sha256 or {})))
    logger.info("imported the OpenVINO IR in %s (%.1f s)", folder, time.perf_counter() - started)
    return ImportedIR(config, synthesis, mapping)


def load_ir_folder(path: Path | str) -> LoadedModel:
    """Load an OpenVINO IR folder as a `LoadedModel` (spec: the folder path)."""
    folder = Path(path)
    imported = import_ir(folder)
    return LoadedModel(
        spec=str(path),
        config=imported.config,
        synthesis=imported.synthesis,
        mapping=imported.mapping,
        source_sha256=sha256_file(folder / SYNTHESIS_BIN),
        description=f"OpenVINO IR from {folder}",
    )

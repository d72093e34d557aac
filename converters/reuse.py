"""Whether a converted file in a work folder may be reused instead of converted again."""

from __future__ import annotations

import logging
from pathlib import Path

from converters.digest import sidecar_mismatch
from converters.provenance import code_fingerprint
from converters.sidecar import read_sidecar
from msg_model.errors import InvalidInputError
from msg_model.spec import LoadedModel

logger = logging.getLogger(__name__)


def reusable_artifact(model: LoadedModel, path: Path, kind: str) -> bool:
    """Return whether `path` is a `kind` artifact of `model`, made by this toolkit code and unchanged since.

    The sidecar must name the model's spec and sha256, the kind and the current code fingerprint,
    and record the file's sha256. Anything else (another model, an older toolkit, a missing or
    damaged sidecar) means the file is converted again.
    """
    path = Path(path)
    if not path.exists():
        return False
    try:
        sidecar = read_sidecar(path)
    except InvalidInputError:
        return False
    expected = {
        "source_model": model.spec,
        "source_sha256": model.source_sha256,
        "kind": kind,
        "toolkit_code": code_fingerprint(),
    }
    stale = [key for key, value in expected.items() if sidecar.get(key) != value]
    if not stale and (not isinstance(sidecar.get("sha256"), str) or sidecar_mismatch(path, sidecar) is not None):
        stale = ["sha256"]
    if stale:
        logger.info("converting %s again: its sidecar differs in %s", path.name, ", ".join(stale))
        return False
    return True

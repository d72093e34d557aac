"""Keep converter chatter out of the console: progress bars, prints and INFO logs of the libraries.

coremltools logs every graph pass at INFO and draws tqdm bars, litert-torch logs each lowered op
on the root logger, and ai-edge-quantizer prints size reports. Inside `quiet_conversion()` those
Python-level outputs are captured and logged at DEBUG (`msg -v` shows them), and the libraries'
DeprecationWarnings are ignored. Messages that native code writes straight to the process's
stderr are not captured.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings

logger = logging.getLogger(__name__)

NOISY_LOGGERS = ("", "coremltools", "absl", "jax", "jax._src.xla_bridge")


@contextlib.contextmanager
def quiet_conversion(label: str):
    """Capture stdout and stderr and raise noisy loggers to WARNING for the duration; `label` names the work in the DEBUG log."""
    if logging.getLogger().isEnabledFor(logging.DEBUG):
        yield
        return
    levels = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    captured = io.StringIO()
    try:
        for name in NOISY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        with warnings.catch_warnings(), contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        if captured.getvalue().strip():
            logger.debug("output of %s:\n%s", label, captured.getvalue())


@contextlib.contextmanager
def quiet_pytree_registration():
    """Hide torch's pytree deprecation warning for the duration, unless DEBUG logging is on.

    torchao 0.18 (imported by litert-torch) registers an Enum with `register_constant` on import,
    and torch 2.14 logs a WARNING about it on every run, unrelated to the user's model.
    """
    pytree_logger = logging.getLogger("torch.utils._pytree")
    level = pytree_logger.level
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        pytree_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        pytree_logger.setLevel(level)

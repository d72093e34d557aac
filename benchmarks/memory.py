"""Peak resident memory of one candidate, measured in a fresh process so candidates do not mix."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path


def peak_rss_bytes() -> int:
    """This process's peak resident set size.

    Reads VmHWM from /proc/self/status, which starts afresh at exec; getrusage's ru_maxrss would
    carry over the peak of the parent that started this process.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure_in_subprocess(recipe: dict, timeout: float = 900) -> int | None:
    """Run `python -m benchmarks.memory_probe RECIPE_JSON` and return the child's peak RSS in bytes.

    Returns None when the child fails; its stderr is not parsed.
    """
    command = [sys.executable, "-m", "benchmarks.memory_probe", json.dumps(recipe)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])["peak_rss_bytes"]

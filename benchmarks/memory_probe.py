"""Child process of the memory measurement: build one candidate, run it once, print its peak RSS.

Usage: python -m benchmarks.memory_probe RECIPE_JSON
"""

from __future__ import annotations

import json
import sys

from benchmarks.candidates import build_run
from benchmarks.memory import peak_rss_bytes


def main(recipe_json: str) -> None:
    run = build_run(json.loads(recipe_json))
    run()
    print(json.dumps({"peak_rss_bytes": peak_rss_bytes()}))


if __name__ == "__main__":
    main(sys.argv[1])

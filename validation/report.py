"""`write_report()`: report.json and report.html of a validation run, each written atomically."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from msg_model.atomic import atomic_path, check_writable
from validation.report_html import report_html_text
from validation.report_json import report_json_text
from validation.results import ValidationResult


@dataclasses.dataclass(frozen=True)
class ReportFiles:
    json: Path
    html: Path


REPORT_MODE = 0o644  # the temporary file starts private (mkstemp); reports are meant to be shared


def write_text_atomically(path: Path, text: str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
        temporary.chmod(REPORT_MODE)


def report_files(directory: Path | str) -> ReportFiles:
    """Return the report paths in `directory`; raise `InvalidInputError` when they cannot be written there."""
    files = ReportFiles(Path(directory) / "report.json", Path(directory) / "report.html")
    check_writable(files.json)
    check_writable(files.html)
    return files


def write_report(result: ValidationResult, directory: Path | str) -> ReportFiles:
    """Write `report.json` and `report.html` into `directory` (created if missing)."""
    files = report_files(directory)
    json_text, html_text = report_json_text(result), report_html_text(result)
    write_text_atomically(files.json, json_text)
    write_text_atomically(files.html, html_text)
    return files

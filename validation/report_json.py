"""report.json: everything a validation run found, machine readable.

Non-finite numbers are written as the strings "inf", "-inf" and "nan" (PSNR of identical images
is infinite), so the file is strict JSON.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

from validation.fid import FidResult
from validation.metrics import MetricSummary
from validation.results import ArtifactResult, ValidationResult

SCHEMA = "mobilestylegan-validation-report/1"


def json_safe(value: Any) -> Any:
    """Turn numpy scalars, paths, tuples and non-finite floats into plain JSON values."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def metric_json(summary: MetricSummary) -> dict[str, Any]:
    return {"mean": summary.mean, "min": summary.min, "max": summary.max, "per_seed": list(summary.values)}


def fid_json(fid: FidResult) -> dict[str, Any]:
    return {
        "status": fid.status,
        "fid": fid.fid,
        "kid_mean": fid.kid_mean,
        "kid_std": fid.kid_std,
        "reason": fid.reason,
        "how_to_fix": fid.how_to_fix,
        **fid.details,
    }


def artifact_json(result: ArtifactResult) -> dict[str, Any]:
    info = result.info
    return {
        "path": str(info.path),
        "name": info.name,
        "kind": info.kind,
        "target": info.target,
        "role": info.role,
        "variant": info.variant,
        "input": info.input_kind,
        "image_output": info.image_output,
        "runner": result.runner,
        "passed": result.passed,
        "truncation_psi": result.truncation_psi,
        "seeds": list(result.seeds),
        "thresholds": dataclasses.asdict(result.thresholds),
        "metrics": {name: metric_json(summary) for name, summary in result.metrics.items()},
        "fid": fid_json(result.fid),
        "failures": [dataclasses.asdict(failure) for failure in result.failures],
        "notes": list(result.notes),
        "median_seconds_per_run": result.median_seconds_per_run,
        "sidecar": info.sidecar,
    }


def options_json(result: ValidationResult) -> dict[str, Any]:
    options = result.options
    return {
        "threads": options.threads,
        "xnnpack": options.xnnpack,
        "compute_units": options.compute_units,
        "fid_samples": options.fid_samples,
        "fid_weights": str(options.fid_weights) if options.fid_weights else None,
        "require_fid": options.require_fid,
        "threshold_overrides": [dataclasses.asdict(override) for override in options.thresholds.overrides],
    }


def report_dict(result: ValidationResult) -> dict[str, Any]:
    """Build the whole report as plain JSON values."""
    return json_safe({
        "schema": SCHEMA,
        "created": result.created,
        "passed": result.passed,
        "reference": dataclasses.asdict(result.reference),
        "seeds": list(result.options.seeds),
        "truncation_psi": result.options.truncation_psi,
        "options": options_json(result),
        "versions": result.versions,
        "artifacts": [artifact_json(artifact) for artifact in result.artifacts],
        "failures": [failure.message for failure in result.failures],
    })


def report_json_text(result: ValidationResult) -> str:
    return json.dumps(report_dict(result), indent=2, allow_nan=False) + "\n"

"""Validation: converted models against the float fused student on the same latents, with a report."""

from validation.options import ValidationOptions
from validation.report import write_report
from validation.results import ArtifactResult, ValidationResult
from validation.validate import validate

__all__ = ["ArtifactResult", "ValidationOptions", "ValidationResult", "validate", "write_report"]

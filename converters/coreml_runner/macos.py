"""The macOS backend: the same runner interface on top of coremltools' `MLModel.predict` (Core ML itself)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from converters.coreml_runner.images import array_to_pil, image_features, pil_to_array
from msg_model.errors import InvalidInputError

logger = logging.getLogger(__name__)

COMPUTE_UNIT_NAMES = {
    "cpu_only": "CPU_ONLY",
    "cpu_and_gpu": "CPU_AND_GPU",
    "cpu_and_ne": "CPU_AND_NE",
    "all": "ALL",
}


class CoreMLRunner:
    """Runner of a saved model on Core ML (macOS), with image features as arrays like the reference runner.

    NOTE: this backend cannot run on Linux, so the tests check its calls and its array and image
    handling with a stand-in for `MLModel`. How real Core ML image outputs convert is unverified.
    """

    def __init__(self, path: Path, compute_units: str = "cpu_only"):
        import coremltools as ct

        self.compute_units = compute_units
        self.label = f"Core ML runtime (macOS, {compute_units})"
        units = getattr(ct.ComputeUnit, COMPUTE_UNIT_NAMES[compute_units])
        self._model = ct.models.MLModel(str(path), compute_units=units)
        description = self._model.get_spec().description
        self.input_names = [feature.name for feature in description.input]
        self.output_names = [feature.name for feature in description.output]
        self._image_inputs = image_features(description.input)
        self._image_outputs = image_features(description.output)
        logger.info("Core ML model %s loaded with compute units %s", path, compute_units)

    def predict(self, inputs: Mapping[str, object], outputs: list[str] | None = None) -> dict[str, np.ndarray]:
        """Run Core ML; `outputs` may only name model outputs (intermediate values need the reference runner)."""
        names = list(outputs) if outputs is not None else self.output_names
        unknown = [name for name in names if name not in self.output_names]
        if unknown:
            raise InvalidInputError(
                f"Core ML returns only the model outputs {self.output_names}, not {unknown}; "
                "open the model with backend='reference' to read intermediate values"
            )
        feed = {}
        for name, value in inputs.items():
            feature = self._image_inputs.get(name)
            is_array_image = feature is not None and not hasattr(value, "convert")
            feed[name] = array_to_pil(value, feature) if is_array_image else value
        result = self._model.predict(feed)
        return {name: self._output_array(name, result[name]) for name in names}

    def _output_array(self, name: str, value) -> np.ndarray:
        feature = self._image_outputs.get(name)
        if feature is not None:
            return pil_to_array(value, feature)
        return np.asarray(value)

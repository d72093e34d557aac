"""CoreML ML programs through coremltools: float16 (default) or float32 compute, float32 I/O.

coremltools 9.0 converts a torch.export program only after `run_decompositions({})` (a raw
export fails with "Provided Dialect: TRAINING"). With float16 compute and iOS16 or later, a
TensorType without `dtype` becomes a float16 input or output, so every TensorType here sets its
dtype explicitly and the converter inserts the casts.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np
from torch.export import ExportedProgram

from converters.exportable import ExportableModel
from converters.options import ConvertOptions
from converters.quiet import quiet_conversion
from msg_model.atomic import atomic_path

logger = logging.getLogger(__name__)

NUMPY_DTYPES = {"float32": np.float32, "int32": np.int32}


def import_coremltools():
    """Import coremltools, hiding its import-time notes (untested torch version, no CoreML runtime on Linux)."""
    with warnings.catch_warnings(), quiet_conversion("import coremltools"):
        warnings.simplefilter("ignore")
        coremltools_logger = logging.getLogger("coremltools")
        level = coremltools_logger.level
        coremltools_logger.setLevel(logging.ERROR)
        try:
            import coremltools
        finally:
            coremltools_logger.setLevel(level)
    return coremltools


def output_types(ct, exportable: ExportableModel, image_output: str) -> list:
    types = []
    for spec in exportable.outputs:
        if spec.name == "image" and image_output == "image":
            types.append(ct.ImageType(name=spec.name, color_layout=ct.colorlayout.RGB))
        else:
            types.append(ct.TensorType(name=spec.name, dtype=NUMPY_DTYPES[spec.dtype]))
    return types


def convert_coreml(program: ExportedProgram, exportable: ExportableModel, options: ConvertOptions):
    """Convert an exported program to an in-memory `coremltools.models.MLModel` (ML program)."""
    ct = import_coremltools()
    precision = {"fp16": ct.precision.FLOAT16, "fp32": ct.precision.FLOAT32}[options.precision]
    inputs = [ct.TensorType(name=spec.name, shape=spec.shape, dtype=NUMPY_DTYPES[spec.dtype]) for spec in exportable.inputs]
    with quiet_conversion("coremltools"):
        return ct.convert(
            program.run_decompositions({}),
            convert_to="mlprogram",
            inputs=inputs,
            outputs=output_types(ct, exportable, options.image_output),
            minimum_deployment_target=getattr(ct.target, options.deployment_target),
            compute_precision=precision,
            skip_model_load=True,
        )


def save_mlpackage(mlmodel, path: Path) -> None:
    """Save an ML program as the folder `path` (NAME.mlpackage) atomically.

    `MLModel.save` insists on a path ending in .mlpackage, so the package is saved inside the
    temporary folder under its final name and its contents are moved up one level.
    """
    with atomic_path(path, directory=True) as temporary:
        staging = temporary / path.name
        with quiet_conversion("MLModel.save"):
            mlmodel.save(str(staging))
        for child in staging.iterdir():
            os.replace(child, temporary / child.name)
        staging.rmdir()

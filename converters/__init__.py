"""Converters: the fused student to CoreML (.mlpackage) and TFLite (.tflite), each with a sidecar NAME.json."""

from converters.api import convert, convert_mapping, convert_with_options
from converters.artifact import Artifact
from converters.options import ConvertOptions
from converters.sidecar import read_sidecar

__all__ = ["Artifact", "ConvertOptions", "convert", "convert_mapping", "convert_with_options", "read_sidecar"]

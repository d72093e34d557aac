"""CoreML artifacts of random:small: spec names, shapes, types and metadata, read without a CoreML runtime."""

import importlib.util

import numpy as np
import pytest
import torch

import converters
from converters.coreml import import_coremltools
from msg_model.generator import z_from_seeds
from msg_model.spec import load_model

SPEC_VERSIONS = {"iOS16": (7, "CoreML6"), "iOS17": (8, "CoreML7"), "iOS18": (9, "CoreML8")}
HAS_COREML_RUNNER = importlib.util.find_spec("converters.coreml_runner") is not None
# Measured with the reference runner on random:small (images span about [-4.6, 3.9]), seeds 1-3:
# fp32 max abs error 4.2e-6, fp16 1.1e-2.
COREML_MAX_ABS_ERROR = {"fp32": 1e-4, "fp16": 5e-2}


@pytest.fixture(scope="module")
def ct():
    return import_coremltools()


@pytest.fixture(scope="module")
def small_model():
    return load_model("random:small")


@pytest.fixture(scope="module")
def convert_small(small_model, tmp_path_factory):
    """Convert random:small to CoreML once per option set; later calls return the cached artifact."""
    cache = {}
    out_dir = tmp_path_factory.mktemp("coreml")

    def convert(**fields):
        key = tuple(sorted(fields.items()))
        if key not in cache:
            mapping = fields.pop("mapping", False)
            function = converters.convert_mapping if mapping else converters.convert
            cache[key] = function(small_model, target="coreml", out_dir=out_dir, **fields)
        return cache[key]

    return convert


def load_spec(ct, artifact):
    return ct.models.utils.load_spec(str(artifact.path))


def main_ops(spec):
    function = spec.mlProgram.functions["main"]
    return function.block_specializations[function.opset].operations


def array_type(feature):
    from coremltools.proto import FeatureTypes_pb2

    return FeatureTypes_pb2.ArrayFeatureType.ArrayDataType.Name(feature.type.multiArrayType.dataType)


def const_dtypes(spec) -> set[str]:
    from coremltools.proto import MIL_pb2

    return {MIL_pb2.DataType.Name(op.outputs[0].type.tensorType.dataType) for op in main_ops(spec) if op.type == "const"}


@pytest.mark.parametrize("input_kind", ["w", "w_plus", "z"])
@pytest.mark.parametrize("precision", ["fp16", "fp32"])
def test_coreml_spec_inputs_outputs(ct, convert_small, small_model, precision, input_kind):
    artifact = convert_small(precision=precision, input_kind=input_kind)
    spec = load_spec(ct, artifact)
    sidecar = converters.read_sidecar(artifact.path)
    config = small_model.config

    expected_input = {"w": [1, config.style_dim], "w_plus": [1, config.num_ws, config.style_dim], "z": [1, config.style_dim]}[input_kind]
    assert [feature.name for feature in spec.description.input] == [input_kind]
    assert list(spec.description.input[0].type.multiArrayType.shape) == expected_input
    assert array_type(spec.description.input[0]) == "FLOAT32"
    assert [feature.name for feature in spec.description.output] == ["image"]
    assert list(spec.description.output[0].type.multiArrayType.shape) == [1, 3, config.resolution, config.resolution]
    assert array_type(spec.description.output[0]) == "FLOAT32"

    assert spec.description.input[0].shortDescription == sidecar["inputs"][0]["description"]
    assert spec.description.output[0].shortDescription == sidecar["outputs"][0]["description"]
    assert spec.specificationVersion == SPEC_VERSIONS["iOS16"][0]
    weight_dtype = "FLOAT16" if precision == "fp16" else "FLOAT32"
    assert weight_dtype in const_dtypes(spec)
    if precision == "fp32":
        assert "FLOAT16" not in const_dtypes(spec)


def test_coreml_metadata(ct, convert_small):
    artifact = convert_small(precision="fp16", input_kind="w")
    mlmodel = ct.models.MLModel(str(artifact.path), skip_model_load=True)
    sidecar = converters.read_sidecar(artifact.path)
    metadata = mlmodel.user_defined_metadata

    assert "synthesis network" in mlmodel.short_description
    assert "random:small" in mlmodel.short_description
    assert mlmodel.author.startswith("mobilestylegan-deploy")
    assert mlmodel.license == load_model("random:small").licence
    assert mlmodel.version == sidecar["toolkit_version"]
    assert metadata["mobilestylegan.kind"] == "coreml-fp16"
    assert metadata["mobilestylegan.source_model"] == "random:small"
    assert metadata["mobilestylegan.toolkit_version"] == sidecar["toolkit_version"]
    assert metadata["mobilestylegan.noise_mode"] == "const"
    assert metadata["mobilestylegan.tensor.w.shape"] == "1x64"
    assert metadata["mobilestylegan.tensor.image.shape"] == "1x3x64x64"
    assert "mobilestylegan.source_sha256" not in metadata  # random weights have no source file


def test_coreml_uint8_output_is_int32(ct, convert_small):
    artifact = convert_small(precision="fp32", image_output="uint8", deployment_target="iOS17")
    spec = load_spec(ct, artifact)
    assert array_type(spec.description.output[0]) == "INT32"
    assert spec.specificationVersion == SPEC_VERSIONS["iOS17"][0]
    assert spec.mlProgram.functions["main"].opset == SPEC_VERSIONS["iOS17"][1]
    sidecar = converters.read_sidecar(artifact.path)
    assert sidecar["image_output"] == "uint8"
    assert sidecar["outputs"][0]["dtype"] == "int32"
    assert {"clip", "round", "cast"} <= {op.type for op in main_ops(spec)}


def test_coreml_image_output_is_image_type(ct, convert_small, small_model):
    artifact = convert_small(precision="fp16", input_kind="z", image_output="image", deployment_target="iOS18")
    spec = load_spec(ct, artifact)
    output = spec.description.output[0]
    assert output.name == "image"
    assert output.type.WhichOneof("Type") == "imageType"
    assert output.type.imageType.width == small_model.config.resolution
    assert output.type.imageType.height == small_model.config.resolution
    assert output.type.imageType.colorSpace == output.type.imageType.RGB
    assert spec.specificationVersion == SPEC_VERSIONS["iOS18"][0]
    sidecar = converters.read_sidecar(artifact.path)
    assert sidecar["image_output"] == "image"
    assert sidecar["deployment_target"] == "iOS18"
    assert sidecar["truncation_psi"] == 0.5


@pytest.mark.parametrize("precision", ["fp16", "fp32"])
def test_coreml_mapping_spec(ct, convert_small, small_model, precision):
    artifact = convert_small(mapping=True, precision=precision)
    spec = load_spec(ct, artifact)
    style_dim = small_model.config.style_dim
    assert [(feature.name, list(feature.type.multiArrayType.shape)) for feature in spec.description.input] == [("z", [1, style_dim]), ("psi", [1, 1])]
    assert [(feature.name, list(feature.type.multiArrayType.shape)) for feature in spec.description.output] == [("w", [1, style_dim])]
    assert array_type(spec.description.output[0]) == "FLOAT32"
    sidecar = converters.read_sidecar(artifact.path)
    assert sidecar["kind"] == f"mapping-coreml-{precision}"
    assert sidecar["role"] == "mapping"
    assert "image_output" not in sidecar


@pytest.mark.skipif(not HAS_COREML_RUNNER, reason="converters.coreml_runner is not installed, so CoreML models cannot run on Linux")
@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_coreml_runner_matches_fused_student(convert_small, small_model, precision):
    from converters.coreml_runner import open_coreml

    runner = open_coreml(convert_small(precision=precision, input_kind="w").path, compute_units="cpu_only")
    z = z_from_seeds([1, 2, 3], small_model.config.style_dim)
    with torch.no_grad():
        w = small_model.mapping(z, torch.full((3, 1), 0.5))
        expected = small_model.synthesis(w).numpy()
    for index in range(3):
        image = np.asarray(runner.predict({"w": w[index : index + 1].numpy()})["image"])
        error = float(np.max(np.abs(image - expected[index : index + 1])))
        assert error <= COREML_MAX_ABS_ERROR[precision], f"max abs error {error:.2e} > {COREML_MAX_ABS_ERROR[precision]:.0e}"

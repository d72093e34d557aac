"""The iOS and Android samples' model names, shapes and types against real conversions of random:small.

The samples cannot be built here, so these tests check what the samples rely on.
mobile_demo/app_models.json lists the files and tensors, and the Swift and Kotlin constants must
name exactly those. The converters' sidecars and the converted models must agree with the JSON.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from msg_model.config import FFHQ_CONFIG
from msg_model.contract import image_output, mapping_contract, synthesis_inputs
from msg_model.spec import SMALL_CONFIG
from mobile_demo_helpers import converted_deploy_folder

DEMO_ROOT = Path(__file__).resolve().parent.parent / "mobile_demo"
APP_MODELS = json.loads((DEMO_ROOT / "app_models.json").read_text())
ROLES = ("mapping", "synthesis")
CONSTANT_PATTERNS = {
    "ios": (r'static let (\w+) = "([^"]*)"', r"static let elementType = MLMultiArrayDataType\.(\w+)"),
    "android": (r'const val (\w+) = "([^"]*)"', r"val ELEMENT_TYPE: DataType = DataType\.(\w+)"),
}
SOURCE_SUFFIXES = {"ios": ".swift", "android": ".kt"}


def resolved(tensors: list[dict], config) -> list[tuple[str, tuple[int, ...], str]]:
    sizes = {"style_dim": config.style_dim, "resolution": config.resolution}
    return [(t["name"], tuple(sizes.get(dim, dim) for dim in t["shape"]), t["dtype"]) for t in tensors]


def expected_tensors(role: str, config) -> tuple[list, list]:
    spec = APP_MODELS["tensors"][role]
    return resolved(spec["inputs"], config), resolved(spec["outputs"], config)


def sidecar_tensors(tensors: list[dict]) -> list[tuple[str, tuple[int, ...], str]]:
    return [(t["name"], tuple(t["shape"]), t["dtype"]) for t in tensors]


def json_names(app: str) -> set[str]:
    names = {t["name"] for role in ROLES for group in ("inputs", "outputs") for t in APP_MODELS["tensors"][role][group]}
    files = {APP_MODELS["apps"][app][role]["file"] for role in ROLES}
    return names | files | {Path(file).stem for file in files}


@pytest.mark.parametrize("config", [SMALL_CONFIG, FFHQ_CONFIG], ids=["small", "ffhq"])
def test_json_matches_contract(config):
    mapping_inputs, mapping_output = mapping_contract(config)
    contract = {
        "mapping": ([mapping_inputs[0], mapping_inputs[1]], [mapping_output]),
        "synthesis": ([synthesis_inputs(config)["w"]], [image_output(config)]),
    }
    for role, (inputs, outputs) in contract.items():
        want_inputs, want_outputs = expected_tensors(role, config)
        assert want_inputs == [(t.name, t.shape, t.dtype) for t in inputs], role
        assert want_outputs == [(t.name, t.shape, t.dtype) for t in outputs], role


@pytest.mark.parametrize("app", ["ios", "android"])
def test_source_constants_match_json(app):
    source = (DEMO_ROOT / APP_MODELS["apps"][app]["source"]).read_text()
    name_pattern, type_pattern = CONSTANT_PATTERNS[app]
    values = {value for _, value in re.findall(name_pattern, source)}
    files = {APP_MODELS["apps"][app][role]["file"] for role in ROLES}
    tensor_names = json_names(app) - files - {Path(file).stem for file in files}

    assert tensor_names <= values, f"{app} constants lack {sorted(tensor_names - values)}"
    assert any(file in values or Path(file).stem in values for file in files)
    assert values <= json_names(app) | {APP_MODELS["signature"]}, f"{app} constants not in the JSON: {sorted(values - json_names(app))}"

    element_types = re.findall(type_pattern, source)
    dtypes = {t["dtype"] for role in ROLES for group in ("inputs", "outputs") for t in APP_MODELS["tensors"][role][group]}
    assert [name.lower() for name in element_types] == sorted(dtypes)


@pytest.mark.parametrize("app", ["ios", "android"])
def test_other_sources_use_constants(app):
    """Only the constants file spells tensor or file names, so the check above covers every use."""
    constants = DEMO_ROOT / APP_MODELS["apps"][app]["source"]
    names = json_names(app) | {APP_MODELS["signature"]}
    sources = [path for path in constants.parent.glob(f"*{SOURCE_SUFFIXES[app]}") if path != constants]
    assert sources, f"no {app} sources next to {constants.name}"
    for path in sources:
        literals = set(re.findall(r'"([^"\\]*)"', path.read_text()))
        assert not literals & names, f"{path.name} spells {sorted(literals & names)}; use the constants in {constants.name}"


@pytest.mark.parametrize("app", ["ios", "android"])
def test_readme_names_the_files(app):
    readme = (DEMO_ROOT / app / "README.md").read_text()
    for role in ROLES:
        assert APP_MODELS["apps"][app][role]["file"] in readme
    assert "app_models.json" in readme


def check_sidecars(folder: Path, app: str) -> dict[str, dict]:
    sidecars = {}
    for role in ROLES:
        entry = APP_MODELS["apps"][app][role]
        artifact = folder / entry["file"]
        assert artifact.exists(), f"the converters wrote no {entry['file']}; found {sorted(p.name for p in folder.iterdir())}"
        sidecar = json.loads(artifact.with_suffix(".json").read_text())
        want_inputs, want_outputs = expected_tensors(role, SMALL_CONFIG)
        assert (sidecar["kind"], sidecar["role"], sidecar["target"]) == (entry["kind"], role, APP_MODELS["apps"][app]["target"])
        assert sidecar_tensors(sidecar["inputs"]) == want_inputs, role
        assert sidecar_tensors(sidecar["outputs"]) == want_outputs, role
        sidecars[role] = sidecar
    assert sidecars["synthesis"]["image_output"] == "float"
    return sidecars


def test_android_models_match_tflite(tmp_path_factory):
    from ai_edge_litert.interpreter import Interpreter

    folder = converted_deploy_folder(tmp_path_factory, "random:small", "tflite")
    check_sidecars(folder, "android")

    for role in ROLES:
        interpreter = Interpreter(model_path=str(folder / APP_MODELS["apps"]["android"][role]["file"]))
        runner = interpreter.get_signature_runner(APP_MODELS["signature"])
        want_inputs, want_outputs = expected_tensors(role, SMALL_CONFIG)
        for details, want in ((runner.get_input_details(), want_inputs), (runner.get_output_details(), want_outputs)):
            found = {(name, tuple(int(d) for d in detail["shape"]), np.dtype(detail["dtype"]).name) for name, detail in details.items()}
            assert found == set(want), role


def test_ios_models_match_coreml(tmp_path_factory):
    import coremltools as ct

    folder = converted_deploy_folder(tmp_path_factory, "random:small", "coreml")
    check_sidecars(folder, "ios")

    for role in ROLES:
        spec = ct.models.utils.load_spec(str(folder / APP_MODELS["apps"]["ios"][role]["file"]))
        want_inputs, want_outputs = expected_tensors(role, SMALL_CONFIG)
        for features, want in ((spec.description.input, want_inputs), (spec.description.output, want_outputs)):
            found = [
                (feature.name, tuple(feature.type.multiArrayType.shape), ct.proto.FeatureTypes_pb2.ArrayFeatureType.ArrayDataType.Name(feature.type.multiArrayType.dataType))
                for feature in features
            ]
            assert sorted(found) == sorted((name, shape, dtype.upper()) for name, shape, dtype in want), role


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("kotlinc") is None, reason="kotlinc not found; install it with `apt-get install -y kotlin` to test the Kotlin seeds")
def test_kotlin_random_matches_numpy(tmp_path):
    random_source = DEMO_ROOT / "android/app/src/main/java/org/mobilestylegan/demo/NumpyRandom.kt"
    main = tmp_path / "Main.kt"
    main.write_text(
        "import org.mobilestylegan.demo.NumpyRandom\n"
        "fun main(args: Array<String>) {\n"
        "    for (seed in args) {\n"
        "        println(NumpyRandom(seed.toLong()).normalFloats(1001).joinToString(\" \") { java.lang.Float.floatToRawIntBits(it).toString() })\n"
        "    }\n"
        "}\n"
    )
    jar = tmp_path / "random.jar"
    subprocess.run(["kotlinc", str(random_source), str(main), "-include-runtime", "-d", str(jar)], check=True, capture_output=True, timeout=300)
    seeds = [0, 42, 2**32 - 1]
    completed = subprocess.run(["java", "-cp", str(jar), "MainKt", *map(str, seeds)], check=True, capture_output=True, text=True, timeout=60)

    for seed, line in zip(seeds, completed.stdout.splitlines(), strict=True):
        expected = np.random.RandomState(seed).randn(1, 1001).astype(np.float32)[0]
        found = np.array([int(bits) for bits in line.split()], dtype=np.int64).astype(np.uint32).view(np.float32)
        np.testing.assert_array_equal(found, expected, err_msg=f"seed {seed}")

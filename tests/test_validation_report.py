"""report.json fields and a self-contained report.html."""

import json
import math
import re

import pytest

from msg_model.spec import load_model
from validation import ValidationOptions, validate, write_report
from validation_helpers import build_artifacts


@pytest.fixture(scope="module")
def written_report(tmp_path_factory):
    model = load_model("random:small")
    artifacts = build_artifacts(model, tmp_path_factory.getbasetemp())
    result = validate(model, [artifacts["good"], artifacts["perturbed"], artifacts["mapping"]], ValidationOptions(seeds=(0, 1, 2), fid_samples=0))
    folder = tmp_path_factory.mktemp("report")
    return write_report(result, folder), folder


def strict_json(text: str):
    def reject(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=reject)


def test_report_json_fields(written_report):
    files, _ = written_report
    report = strict_json(files.json.read_text())

    assert report["passed"] is False
    assert report["seeds"] == [0, 1, 2]
    assert report["truncation_psi"] == 0.5
    assert report["reference"]["spec"] == "random:small"
    assert report["versions"]["torch"].startswith("2.")
    assert "ai-edge-litert" in report["versions"]
    good, perturbed, mapping = report["artifacts"]
    assert good["path"].endswith("good.tflite")
    assert good["kind"] == "tflite-fp32"
    assert good["runner"] == "LiteRT interpreter (XNNPACK, 2 threads)"
    assert good["passed"] is True
    assert good["failures"] == []
    assert set(good["metrics"]["psnr_db"]) == {"mean", "min", "max", "per_seed"}
    assert len(good["metrics"]["psnr_db"]["per_seed"]) == 3
    assert good["sidecar"]["kind"] == "tflite-fp32"
    assert good["fid"]["status"] == "not computed"
    assert good["fid"]["reason"] == "disabled with --fid-samples 0"
    assert perturbed["passed"] is False
    assert {f["metric"] for f in perturbed["failures"]} >= {"psnr_db"}
    assert all({"metric", "message", "value", "threshold"} <= set(f) for f in perturbed["failures"])
    assert mapping["metrics"]["w_relative_error"]["max"] < 1e-4


def test_report_json_writes_infinity_as_string(written_report):
    files, _ = written_report
    good = strict_json(files.json.read_text())["artifacts"][0]

    values = good["metrics"]["psnr_db"]["per_seed"]
    assert all(value == "inf" or (isinstance(value, float) and math.isfinite(value)) for value in values)


def test_report_html_fetches_nothing(written_report):
    files, _ = written_report
    page = files.html.read_text()

    assert "http://" not in page
    assert "https://" not in page
    sources = re.findall(r'src="([^"]*)"', page)
    assert sources
    assert all(source.startswith("data:image/png;base64,") for source in sources)
    assert "<link" not in page
    assert "<script" not in page
    assert "url(" not in page


def test_report_html_content(written_report):
    files, _ = written_report
    page = files.html.read_text()

    for text in ("good.tflite", "perturbed.tflite", "mapping.tflite", "LiteRT interpreter (XNNPACK, 2 threads)", "difference × 10", "<svg", "Tool versions", "Artifact metadata (sidecar)", "&quot;kind&quot;: &quot;tflite-fp32&quot;"):
        assert text in page, text
    assert page.count('class="artifact"') == 3
    assert len(re.findall(r'src="data:image/png', page)) == 2 * 3 * 3  # two image artifacts x three seeds x three images


def test_report_leaves_no_partial_files(written_report):
    _, folder = written_report

    assert sorted(path.name for path in folder.iterdir()) == ["report.html", "report.json"]
    assert all(path.stat().st_mode & 0o044 == 0o044 for path in folder.iterdir())

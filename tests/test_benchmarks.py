"""Smoke test of the benchmark runner on the small model; timings themselves are never asserted."""

import json

import pytest

from benchmarks.memory import measure_in_subprocess
from benchmarks.results import write_results
from benchmarks.suite import PEER, SuiteOptions, run_suite
from benchmarks.timing import time_interleaved


def test_interleaved_timing_ratios():
    calls = []
    timings = time_interleaved({"peer": lambda: calls.append("p"), "other": lambda: calls.append("o")}, "peer", rounds=3, warmup=1)

    assert calls.count("p") == calls.count("o") == 4
    assert len(timings["other"].seconds) == 3
    assert timings["peer"].ratios_to_peer == (1.0, 1.0, 1.0)


@pytest.fixture(scope="module")
def small_suite(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("bench")
    options = SuiteOptions(model="random:small", rounds=1, warmup=0, memory=False, workdir=workdir, coreml_sizes=False)
    return run_suite(options, progress=lambda message: None)


def test_suite_runs_on_small_model(small_suite, tmp_path):
    result = small_suite
    data = write_results(result, tmp_path / "RESULTS.md", tmp_path / "RESULTS.json")

    names = [row["name"] for row in data["rows"]]
    assert PEER in names
    assert "PyTorch fused student (eager)" in names
    assert any(name.startswith("TFLite fp32") for name in names)
    assert all(row["median_s"] > 0 for row in data["rows"])
    assert json.loads((tmp_path / "RESULTS.json").read_text())["model"] == "random:small"
    assert "| candidate | median |" in (tmp_path / "RESULTS.md").read_text()


def test_memory_probe_reports_a_fresh_process(small_suite):
    result = small_suite
    tflite = next(c for c in result.candidates if c.recipe["kind"] == "tflite")
    torch_row = next(c for c in result.candidates if c.recipe["kind"] == "torch")

    tflite_peak = measure_in_subprocess(tflite.recipe)
    torch_peak = measure_in_subprocess(torch_row.recipe)

    assert tflite_peak is not None and torch_peak is not None
    assert tflite_peak < torch_peak

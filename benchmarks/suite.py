"""The benchmark suite: convert once, build every candidate, time them interleaved, measure memory."""

from __future__ import annotations

import dataclasses
import logging
import platform
from pathlib import Path

from benchmarks.candidates import Candidate, build_run
from benchmarks.timing import Timing, time_interleaved
from msg_model.atomic import make_folder
from msg_model.spec import LoadedModel, load_model
from msg_model.stats import fused_stats

logger = logging.getLogger(__name__)

PEER = "OpenVINO float32 (peer)"
# (file stem, convert() keyword arguments) of the artifacts the suite times or sizes.
TFLITE_VARIANTS = {"tflite-fp32": {"precision": "fp32"}, "tflite-fp16w": {"precision": "fp16"}}
COREML_VARIANTS = {"coreml-fp16": {"precision": "fp16"}, "coreml-fp32": {"precision": "fp32"}}


@dataclasses.dataclass(frozen=True)
class SuiteOptions:
    model: str = "pretrained:ffhq"
    rounds: int = 7
    warmup: int = 2
    threads: int = 2
    memory: bool = True
    workdir: Path = Path("benchmarks/work")
    cache_dir: Path | None = None
    coreml_sizes: bool = True  # convert the CoreML variants to list their sizes
    trust_checkpoint: bool = False  # load a .ckpt pickle that needs classes outside the safe allowlist

    def __post_init__(self) -> None:
        if self.rounds < 1 or self.warmup < 0 or self.threads < 1:
            raise ValueError(f"rounds >= 1, warmup >= 0 and threads >= 1 are required, got {self.rounds}, {self.warmup}, {self.threads}")


def prepare_artifacts(model: LoadedModel, workdir: Path, coreml_sizes: bool = True) -> dict[str, Path]:
    """Convert the phone models once into `workdir`; files already there are reused."""
    from converters import convert
    from converters.reuse import reusable_artifact

    make_folder(workdir, "--workdir folder")
    paths = {}
    variants = {**TFLITE_VARIANTS, **(COREML_VARIANTS if coreml_sizes else {})}
    for kind, arguments in variants.items():
        target = kind.split("-")[0]
        path = workdir / f"{kind}{'.tflite' if target == 'tflite' else '.mlpackage'}"
        if not reusable_artifact(model, path, kind):
            logger.info("converting %s", kind)
            convert(model, target=target, out_dir=workdir, name=kind, **arguments)
        paths[kind] = path
    paths.update(quantized_artifacts(model, workdir))
    return paths


def quantized_artifacts(model: LoadedModel, workdir: Path) -> dict[str, Path]:
    """int8 TFLite variants, when the quantization stage provides them."""
    try:
        from quantization.tflite_quantize import quantize_tflite_variants
    except ImportError:
        logger.warning("quantization.tflite_quantize is not available; int8 rows are left out")
        return {}
    return quantize_tflite_variants(model, workdir)


def peer_xml(model: LoadedModel, workdir: Path, cache_dir: Path | None) -> Path:
    """Return the released IR for `pretrained:` models, or convert other models to OpenVINO IR once."""
    if model.spec.startswith("pretrained:"):
        from msg_model.pretrained import fetch_pretrained

        return fetch_pretrained(model.spec.split(":", 1)[1], cache_dir) / "SynthesisNetwork.xml"
    xml = workdir / "openvino-fp32.xml"
    if not xml.exists():
        import torch

        from msg_model.openvino_import import import_openvino, telemetry_declined

        ov = import_openvino()
        sample = torch.zeros(1, model.config.style_dim)
        with telemetry_declined():
            network = ov.convert_model(model.synthesis.eval(), example_input=sample, input=[tuple(sample.shape)])
        ov.save_model(network, str(xml), compress_to_fp16=False)
    return xml


def torch_recipe(form: str, options: SuiteOptions) -> dict:
    cache_dir = str(options.cache_dir) if options.cache_dir else None
    return {
        "kind": "torch",
        "form": form,
        "model": options.model,
        "threads": options.threads,
        "cache_dir": cache_dir,
        "trust_checkpoint": options.trust_checkpoint,
    }


def build_candidates(model: LoadedModel, artifacts: dict[str, Path], options: SuiteOptions) -> list[Candidate]:
    xml = peer_xml(model, options.workdir, options.cache_dir)
    openvino = {"kind": "openvino", "xml": str(xml), "threads": options.threads}
    trainable_note = "" if model.generator is not None else "random weights of the same shape (speed does not depend on them)"
    candidates = [
        Candidate(PEER, {**openvino, "precision": "f32"}, xml.with_suffix(".bin"), f"{options.threads} threads, latency hint"),
        Candidate("OpenVINO bf16 (CPU default here)", {**openvino, "precision": "bf16"}, xml.with_suffix(".bin"), "bf16 precision hint"),
        Candidate("PyTorch trainable student (eager)", torch_recipe("trainable", options), None, trainable_note),
        Candidate("PyTorch fused student (eager)", torch_recipe("fused", options)),
    ]
    for kind, path in artifacts.items():
        if path.suffix != ".tflite":
            continue
        for threads in sorted({1, options.threads}):
            name = f"TFLite {kind.removeprefix('tflite-')} (XNNPACK, {threads} thread{'s' if threads > 1 else ''})"
            candidates.append(Candidate(name, {"kind": "tflite", "path": str(path), "threads": threads}, path))
    return candidates


@dataclasses.dataclass(frozen=True)
class SuiteResult:
    model: str
    timings: dict[str, Timing]
    candidates: list[Candidate]
    artifacts: dict[str, Path]
    memory: dict[str, int | None]
    macs: int
    parameters: int
    machine: dict[str, str]


def machine_description() -> dict[str, str]:
    import os

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return {"cpu": cpu, "cores": str(os.cpu_count()), "platform": platform.platform(), "python": platform.python_version(), "load_average": load}


def run_suite(options: SuiteOptions, progress=print) -> SuiteResult:
    from benchmarks.memory import measure_in_subprocess

    model = load_model(options.model, trust_checkpoint=options.trust_checkpoint, cache_dir=options.cache_dir)
    artifacts = prepare_artifacts(model, options.workdir, options.coreml_sizes)
    candidates = build_candidates(model, artifacts, options)

    progress(f"building {len(candidates)} candidates")
    runs = {candidate.name: build_run(candidate.recipe) for candidate in candidates}
    progress(f"timing: {options.warmup} warm-up calls, then {options.rounds} interleaved rounds")
    timings = time_interleaved(runs, PEER, options.rounds, options.warmup)
    del runs

    memory: dict[str, int | None] = {}
    if options.memory:
        for candidate in candidates:
            progress(f"peak memory of {candidate.name}")
            memory[candidate.name] = measure_in_subprocess(candidate.recipe)
    stats = fused_stats(model.synthesis)
    return SuiteResult(options.model, timings, candidates, artifacts, memory, stats.macs, stats.parameters, machine_description())

"""The list of `msg` commands; each entry points at a thin function in its own module."""

from __future__ import annotations

import dataclasses
from typing import Callable

from msg_cli import (
    bench_command,
    convert_command,
    demo_command,
    deploy_command,
    fetch_command,
    generate_command,
    inspect_command,
    prune_command,
    quantize_command,
    validate_command,
)


@dataclasses.dataclass(frozen=True)
class Command:
    name: str
    function: Callable
    help: str


ALL: list[Command] = [
    Command("bench", bench_command.bench, "Time the phone models against the OpenVINO peer and write benchmarks/RESULTS.md."),
    Command("convert", convert_command.convert_command, "Convert a model to CoreML (.mlpackage) or TFLite (.tflite) with a sidecar NAME.json."),
    Command("deploy", deploy_command.deploy_command, "Main job: convert a model (default pretrained:ffhq) to CoreML and TFLite, run each once, write manifest.json."),
    Command("demo", demo_command.demo, "Serve a browser demo that runs the deploy folder's TFLite models with LiteRT.js on 127.0.0.1."),
    Command("fetch-pretrained", fetch_command.fetch_pretrained, "Download and verify the released FFHQ model (non-commercial licence) into the cache."),
    Command("generate", generate_command.generate, "Draw faces for seeds into a picture grid or a .npy of raw images."),
    Command("inspect", inspect_command.inspect, "Print resolution, channels, parameters, MACs and the input/output contract of a model."),
    Command("prune", prune_command.prune_command, "Prune the fused student: zero small weights, or remove hidden channels with --structured."),
    Command("quantize", quantize_command.quantize_command, "Make an int8, palettized or pruned variant (TFLite or CoreML), audit its compression and validate it."),
    Command("validate", validate_command.validate_command, "Compare converted models with the float model on the same latents and write report.json and report.html."),
]

"""Mixed-precision recipes for TFLite: which op groups stay float, saved as JSON and turned into ai-edge-quantizer recipes.

A recipe names op groups (see `quantization.tflite_groups`) rather than tensor names, so it reads
like the model and applies to any conversion of a model with the same layout. `to_aeq_recipe`
expands it against the ops of one float .tflite file into ai-edge-quantizer's own recipe format.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from msg_model.atomic import atomic_path
from msg_model.errors import InvalidInputError
from quantization.tflite_groups import TFLiteOp, scope_regex

RECIPE_FORMAT = "mobilestylegan-deploy/tflite-recipe-1"
SCHEMES = ("int8w", "int8-full")
# The styles group computes every layer's style from w in one matrix multiply. Styles of different
# layers differ by orders of magnitude, so one int8 range cannot fit them and the group stays float.
ALWAYS_FLOAT = ("styles",)


@dataclasses.dataclass(frozen=True)
class EqualizationSettings:
    strength: float = 1.0
    pointwise_strength: float = 0.5


@dataclasses.dataclass(frozen=True)
class TFLiteRecipe:
    """How to quantize a synthesis .tflite.

    `int8w`: int8 weights, float activations. The CONV_2D and FULLY_CONNECTED ops of
    `dynamic_groups` use dynamic range kernels, which quantize their input per call and are faster.
    Every other weight is dequantized once when the model loads, so those ops compute in float.
    The baked noise maps are stored int8.
    `int8-full`: int8 weights and int8 activations with static ranges from calibration, except the
    groups in `float_groups`, which compute in float with int8 weights where they have any.
    `equalization` (int8-full only) rescales channels before conversion (see quantization.equalization).
    `sensitivity` and `measured` record how the recipe was chosen; they do not change the result.
    """

    scheme: str
    float_groups: tuple[str, ...] = ()
    dynamic_groups: tuple[str, ...] = ()
    equalization: EqualizationSettings | None = None
    calibration_samples: int = 32
    truncation_psi: float = 0.5
    target_psnr_db: float | None = None
    sensitivity: dict[str, float] = dataclasses.field(default_factory=dict)
    measured: dict[str, float] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise InvalidInputError(f"invalid TFLite scheme {self.scheme!r}; expected one of {', '.join(SCHEMES)}")
        missing = [group for group in ALWAYS_FLOAT if group not in self.float_groups]
        if self.scheme == "int8-full" and missing:
            object.__setattr__(self, "float_groups", tuple(missing) + tuple(self.float_groups))

    def to_json(self) -> dict:
        fields = dataclasses.asdict(self)
        fields["float_groups"] = list(self.float_groups)
        fields["dynamic_groups"] = list(self.dynamic_groups)
        return {"format": RECIPE_FORMAT, **fields}

    @classmethod
    def from_json(cls, data: dict, source: str = "recipe") -> "TFLiteRecipe":
        if "format" not in data:
            raise InvalidInputError(f"{source} has no 'format' field; expected a recipe written by `msg quantize --scheme int8-full` (format {RECIPE_FORMAT!r})")
        if data["format"] != RECIPE_FORMAT:
            raise InvalidInputError(f"{source} has format {data['format']!r}; expected {RECIPE_FORMAT!r} (write one with `msg quantize --scheme int8-full`)")
        fields = {key: value for key, value in data.items() if key != "format"}
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise InvalidInputError(f"{source} has unknown fields {unknown}; expected only {sorted(known)}")
        if fields.get("equalization") is not None:
            fields["equalization"] = EqualizationSettings(**fields["equalization"])
        fields["float_groups"] = tuple(fields.get("float_groups", ()))
        fields["dynamic_groups"] = tuple(fields.get("dynamic_groups", ()))
        return cls(**fields)


def save_recipe(recipe: TFLiteRecipe, path: Path) -> Path:
    path = Path(path)
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(recipe.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def load_recipe(path: Path) -> TFLiteRecipe:
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"recipe {str(path)!r} not found; pass a JSON file written by `msg quantize` (NAME.recipe.json)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInputError(f"recipe {str(path)!r} is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise InvalidInputError(f"recipe {str(path)!r} must hold a JSON object, found {type(data).__name__}")
    return TFLiteRecipe.from_json(data, source=f"recipe {str(path)!r}")


def check_groups(recipe: TFLiteRecipe, groups: dict[str, list[TFLiteOp]]) -> None:
    unknown = [group for group in recipe.float_groups + recipe.dynamic_groups if group not in groups]
    if unknown:
        raise InvalidInputError(f"recipe names groups {unknown}, but the model has no such groups; it has {', '.join(groups)}")


def to_aeq_recipe(recipe: TFLiteRecipe, groups: dict[str, list[TFLiteOp]]) -> list[dict]:
    """Build the ai-edge-quantizer recipe (a list of rules, later ones win) for the ops of one float model."""
    from ai_edge_quantizer import algorithm_manager, qtyping, recipe_manager

    check_groups(recipe, groups)
    names = qtyping.TFLOperationName
    no_quantize = algorithm_manager.AlgorithmName.NO_QUANTIZE
    manager = recipe_manager.RecipeManager()
    if recipe.scheme == "int8w":
        add_weight_rules(manager, groups, recipe.dynamic_groups)
    else:
        add_static_rules(manager, groups, recipe.float_groups)
    # Model input and output stay float32; QUANTIZE and DEQUANTIZE ops convert at the edges.
    for edge in (names.INPUT, names.OUTPUT):
        manager.add_quantization_config(".*", edge, algorithm_key=no_quantize)
    return manager.get_quantization_recipe()


def add_static_rules(manager, groups: dict[str, list[TFLiteOp]], float_groups: tuple[str, ...]) -> None:
    """Static int8 everywhere but in `float_groups`, whose weighted ops keep int8 weights and compute in float."""
    from ai_edge_quantizer import algorithm_manager, qtyping

    names = qtyping.TFLOperationName
    no_quantize = algorithm_manager.AlgorithmName.NO_QUANTIZE
    manager.add_static_config(".*", names.ALL_SUPPORTED, activation_num_bits=8, weight_num_bits=8)
    for group in float_groups:
        for op in groups[group]:
            manager.add_quantization_config(scope_regex(op), names.ALL_SUPPORTED, algorithm_key=no_quantize)
            if op.op_name in WEIGHTED_OPS and group != "noise":
                # float compute, int8 weights dequantized once when the model loads
                manager.add_weight_only_config(scope_regex(op), names(op.op_name), num_bits=8)


WEIGHTED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def add_weight_rules(manager, groups: dict[str, list[TFLiteOp]], dynamic_groups: tuple[str, ...]) -> None:
    """int8 weights everywhere: weight-only storage, dynamic range in `dynamic_groups`, int8 noise maps.

    LiteRT has no dynamic-range DEPTHWISE_CONV_2D kernel (its prepare step rejects float output with
    int8 weights), so depthwise weights are always weight-only. The noise maps are constants fed to
    1x1 identity convolutions. Quantizing those convolutions statically stores the maps as int8,
    with exact ranges because the maps do not depend on the input.
    """
    from ai_edge_quantizer import qtyping

    names = qtyping.TFLOperationName
    for op_name in WEIGHTED_OPS:
        manager.add_weight_only_config(".*", names(op_name), num_bits=8)
    for group in dynamic_groups:
        for op in groups[group]:
            if op.op_name in ("CONV_2D", "FULLY_CONNECTED"):
                manager.add_dynamic_config(scope_regex(op), names(op.op_name), num_bits=8)
    for op in groups.get("noise", []):
        manager.add_static_config(scope_regex(op), names.ALL_SUPPORTED, activation_num_bits=8, weight_num_bits=8)


def default_dynamic_groups(groups: dict[str, list[TFLiteOp]], image_side: int) -> tuple[str, ...]:
    """Groups whose convolutions run at a quarter of the image side or more.

    On the released model, dynamic range kernels everywhere give 41.8 dB against 45.4 dB for
    weight-only storage. Used only in the last two blocks and the head, where most of the time is
    spent, they give 45.0 dB. Measured on seeds 0-3, truncation 0.5, LiteRT with XNNPACK.
    """
    chosen = []
    for name, ops in groups.items():
        sides = [op.shape[1] for op in ops if op.op_name == "CONV_2D" and len(op.shape) == 4]
        if name != "noise" and sides and max(sides) * 4 >= image_side:
            chosen.append(name)
    return tuple(chosen)

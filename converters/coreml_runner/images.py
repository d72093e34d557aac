"""Image inputs and outputs (`ct.ImageType`) as numpy arrays, so every runner has one interface.

An image feature appears in the spec description as `imageType`, while the ML program itself
sees a float tensor (1, C, H, W) in the feature's channel order (RGB, BGR or one gray channel);
coremltools puts the input's scale and bias into the program as ops. Runners take and return
images as float32 arrays (1, 3, H, W) in RGB order with values 0..255, or (1, 1, H, W) for
grayscale. Inputs may also be PIL images.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from msg_model.errors import InvalidInputError

COLOR_SPACES = {10: "GRAYSCALE", 20: "RGB", 30: "BGR", 40: "GRAYSCALE_FLOAT16"}
PIXEL_MAX = 255.0


@dataclasses.dataclass(frozen=True)
class ImageFeature:
    """An image input or output of a model: name, colour space and size in pixels."""

    name: str
    color_space: str
    width: int
    height: int

    @property
    def channels(self) -> int:
        return 1 if self.color_space.startswith("GRAYSCALE") else 3


def image_features(features) -> dict[str, ImageFeature]:
    """Collect the image features of `spec.description.input` or `.output` by name."""
    found = {}
    for feature in features:
        if feature.type.WhichOneof("Type") != "imageType":
            continue
        image_type = feature.type.imageType
        color_space = COLOR_SPACES.get(image_type.colorSpace, f"colorSpace {image_type.colorSpace}")
        found[feature.name] = ImageFeature(feature.name, color_space, image_type.width, image_type.height)
    return found


def image_to_program(image, feature: ImageFeature) -> np.ndarray:
    """Turn an RGB (or gray) image, a PIL image or an array (1, C, H, W), into the program's tensor."""
    if hasattr(image, "convert"):
        image = pil_to_array(image, feature)
    array = np.asarray(image, dtype=np.float32)
    expected = (1, feature.channels, feature.height, feature.width)
    if array.shape != expected:
        raise InvalidInputError(
            f"image input {feature.name!r} has shape {array.shape}; expected {expected} with values 0..255 "
            "(colour images in RGB order)"
        )
    return array[:, ::-1].copy() if feature.color_space == "BGR" else array


def program_to_image(tensor: np.ndarray, feature: ImageFeature) -> np.ndarray:
    """Turn the program's output tensor into a float32 RGB (or gray) array (1, C, H, W).

    Values are clipped to 0..255 but not rounded: a device delivers 8-bit pixels, so its values
    differ from these by up to 0.5 plus the rounding rule of the device. GRAYSCALE_FLOAT16
    outputs are float images and are returned unclipped.
    """
    array = np.asarray(tensor, dtype=np.float32)
    if feature.color_space == "BGR":
        array = array[:, ::-1]
    if feature.color_space != "GRAYSCALE_FLOAT16":
        array = np.clip(array, 0.0, PIXEL_MAX)
    return np.ascontiguousarray(array)


def pil_to_array(image, feature: ImageFeature) -> np.ndarray:
    """Convert a PIL image to a float32 array (1, C, H, W), in RGB order for colour images."""
    if feature.color_space == "GRAYSCALE_FLOAT16":
        pixels = np.asarray(image.convert("F"), dtype=np.float32)[None]
    elif feature.channels == 1:
        pixels = np.asarray(image.convert("L"), dtype=np.float32)[None]
    else:
        pixels = np.asarray(image.convert("RGB"), dtype=np.float32).transpose(2, 0, 1)
    return pixels[None]


def array_to_pil(array: np.ndarray, feature: ImageFeature):
    """Convert an array (1, C, H, W) in RGB order and 0..255 to the PIL image that Core ML's `predict` takes."""
    from PIL import Image

    array = np.asarray(array, dtype=np.float32)
    if feature.color_space == "GRAYSCALE_FLOAT16":
        return Image.fromarray(array[0, 0], mode="F")
    pixels = np.clip(np.rint(array[0]), 0, PIXEL_MAX).astype(np.uint8)
    if feature.channels == 1:
        return Image.fromarray(pixels[0], mode="L")
    return Image.fromarray(pixels.transpose(1, 2, 0), mode="RGB")

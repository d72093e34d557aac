// Float NCHW image in [-1, 1] to canvas RGBA bytes.

// Uint8ClampedArray clips to 0..255 and rounds half to even, the same as
// np.clip(np.rint((x + 1) * 127.5), 0, 255) in the Python toolkit.
export function imageToRgba(pixels, height, width) {
  const planeSize = height * width;
  if (pixels.length !== 3 * planeSize) {
    throw new RangeError(`image has ${pixels.length} values, expected 3 x ${height} x ${width} = ${3 * planeSize}`);
  }
  const rgba = new Uint8ClampedArray(4 * planeSize);
  for (let i = 0; i < planeSize; i++) {
    rgba[4 * i] = (pixels[i] + 1.0) * 127.5;
    rgba[4 * i + 1] = (pixels[planeSize + i] + 1.0) * 127.5;
    rgba[4 * i + 2] = (pixels[2 * planeSize + i] + 1.0) * 127.5;
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

export function drawImage(canvas, pixels, height, width) {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  context.putImageData(new ImageData(imageToRgba(pixels, height, width), width, height), 0, 0);
}

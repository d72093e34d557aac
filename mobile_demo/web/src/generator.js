// The two phone models run with LiteRT.js: mapping (z, psi -> w) and synthesis (w -> image).

import { Tensor, getGlobalLiteRt, getWebGpuDevice, loadAndCompile, loadLiteRt } from "@litertjs/core";

import { latentForSeed } from "./seeds.js";

const WASM_FOLDER = "/vendor/litertjs/core/wasm/";
const ACCELERATORS = ["auto", "wasm", "webgpu"];

// Starts the LiteRT.js runtime, with threads when the page is cross-origin isolated
// (threads need SharedArrayBuffer). Returns the number of wasm threads in use.
export async function startRuntime() {
  const wantThreads = self.crossOriginIsolated && navigator.hardwareConcurrency > 1;
  let loaded = false;
  if (wantThreads) {
    try {
      await loadLiteRt(WASM_FOLDER, { threads: true });
      loaded = true;
    } catch (error) {
      console.warn("threaded LiteRT.js failed to load, using one thread:", error);
    }
  }
  if (!loaded) {
    await loadLiteRt(WASM_FOLDER);
  }
  return getGlobalLiteRt().liteRtWasm.getThreadCount();
}

// "auto" picks WebGPU when the browser gave LiteRT.js a device, else wasm (XNNPACK on the CPU).
// NOTE: only the wasm path has been run, because headless Chromium on the test machines has no WebGPU adapter.
export function resolveAccelerator(requested) {
  if (!ACCELERATORS.includes(requested)) {
    throw new Error(`accelerator ${requested} is invalid; use one of ${ACCELERATORS.join(", ")}`);
  }
  if (requested === "auto") {
    return getWebGpuDevice() ? "webgpu" : "wasm";
  }
  if (requested === "webgpu" && !getWebGpuDevice()) {
    throw new Error("WebGPU was requested but this browser has no WebGPU device; use accelerator=wasm");
  }
  return requested;
}

function checkSignature(model, label, expectedInputs, expectedOutputs) {
  const inputs = model.getInputDetails().map((detail) => detail.name).sort();
  const outputs = model.getOutputDetails().map((detail) => detail.name).sort();
  const wantInputs = [...expectedInputs].sort();
  const wantOutputs = [...expectedOutputs].sort();
  if (inputs.join() !== wantInputs.join() || outputs.join() !== wantOutputs.join()) {
    throw new Error(
      `${label} model has inputs [${inputs}] and outputs [${outputs}], expected [${wantInputs}] and [${wantOutputs}]`,
    );
  }
}

async function runModel(model, inputs) {
  const tensors = {};
  for (const [name, { data, shape }] of Object.entries(inputs)) {
    tensors[name] = new Tensor(data, shape);
  }
  try {
    const outputs = await model.run(tensors);
    const arrays = {};
    for (const [name, tensor] of Object.entries(outputs)) {
      const hostTensor = tensor.accelerator === "wasm" ? tensor : await tensor.moveTo("wasm");
      arrays[name] = hostTensor.toTypedArray().slice();
      hostTensor.delete();
    }
    return arrays;
  } finally {
    Object.values(tensors).forEach((tensor) => tensor.delete());
  }
}

export class FaceGenerator {
  constructor(config, mapping, synthesis, accelerator) {
    this.config = config;
    this.mapping = mapping;
    this.synthesis = synthesis;
    this.accelerator = accelerator;
  }

  // Loads both models named by the server's config.json and checks their tensor names.
  static async load(config, accelerator) {
    const options = { accelerator };
    const mapping = await loadAndCompile(config.mapping.url, options);
    checkSignature(mapping, "mapping", ["z", "psi"], ["w"]);
    const synthesis = await loadAndCompile(config.synthesis.url, options);
    checkSignature(synthesis, "synthesis", ["w"], ["image"]);
    return new FaceGenerator(config, mapping, synthesis, accelerator);
  }

  // Draws the face for a seed and returns the float image (3 x H x W) and each model's time in ms.
  async draw(seed, psi) {
    const styleDim = this.config.style_dim;
    const z = latentForSeed(seed, styleDim);

    const mappingStart = performance.now();
    const { w } = await runModel(this.mapping, {
      z: { data: z, shape: [1, styleDim] },
      psi: { data: Float32Array.of(psi), shape: [1, 1] },
    });
    const synthesisStart = performance.now();
    const { image } = await runModel(this.synthesis, { w: { data: w, shape: [1, styleDim] } });
    const end = performance.now();

    return {
      image,
      mappingMs: synthesisStart - mappingStart,
      synthesisMs: end - synthesisStart,
    };
  }
}

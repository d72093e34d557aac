// Page wiring: load the models named by /models/config.json, then draw a face per seed.
//
// document.body.dataset.state is "loading", "ready", "drawing" or "error", and
// dataset.draws counts finished draws, so a browser test can wait for a draw to finish.

import { FaceGenerator, resolveAccelerator, startRuntime } from "./generator.js";
import { drawImage } from "./image.js";

const MAX_SEED = 0xffffffff;

// A draw requested while another runs is remembered and done next, with the inputs of that moment.
let drawRunning = false;
let drawPending = false;

const elements = {
  canvas: document.getElementById("face"),
  seed: document.getElementById("seed"),
  psi: document.getElementById("psi"),
  psiValue: document.getElementById("psi-value"),
  draw: document.getElementById("draw"),
  newFace: document.getElementById("new-face"),
  model: document.getElementById("model"),
  backend: document.getElementById("backend"),
  timing: document.getElementById("timing"),
  message: document.getElementById("message"),
};

function setState(state, message = "") {
  document.body.dataset.state = state;
  elements.message.textContent = message;
  elements.draw.disabled = state !== "ready";
  elements.newFace.disabled = state !== "ready";
}

function readSeed() {
  const seed = Number(elements.seed.value);
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`seed ${elements.seed.value} is invalid; use an integer from 0 to ${MAX_SEED}`);
  }
  return seed;
}

function randomSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

async function drawFace(generator) {
  if (drawRunning) {
    drawPending = true;
    return;
  }
  drawRunning = true;
  setState("drawing");
  try {
    const seed = readSeed();
    const psi = Number(elements.psi.value);
    const { image, mappingMs, synthesisMs } = await generator.draw(seed, psi);
    const side = generator.config.resolution;
    drawImage(elements.canvas, image, side, side);
    elements.canvas.classList.toggle("small-image", side < 256);
    elements.timing.textContent =
      `seed ${seed}, psi ${psi.toFixed(2)}: mapping ${mappingMs.toFixed(1)} ms, ` +
      `synthesis ${synthesisMs.toFixed(1)} ms, total ${(mappingMs + synthesisMs).toFixed(1)} ms`;
    document.body.dataset.lastSeed = String(seed);
    document.body.dataset.lastPsi = String(psi);
    document.body.dataset.lastMs = String(mappingMs + synthesisMs);
    document.body.dataset.draws = String(Number(document.body.dataset.draws ?? 0) + 1);
    setState("ready");
  } catch (error) {
    console.error(error);
    setState("ready", String(error.message ?? error));
  } finally {
    drawRunning = false;
  }
  if (drawPending) {
    drawPending = false;
    await drawFace(generator);
  }
}

function describeBackend(accelerator, threads) {
  if (accelerator === "webgpu") {
    return "LiteRT.js, WebGPU";
  }
  return `LiteRT.js, wasm (XNNPACK, ${threads} ${threads === 1 ? "thread" : "threads"})`;
}

async function start() {
  setState("loading", "loading LiteRT.js and the models");
  const parameters = new URLSearchParams(location.search);
  elements.seed.value = parameters.get("seed") ?? "0";
  elements.psi.value = parameters.get("psi") ?? "0.7";
  elements.psiValue.textContent = Number(elements.psi.value).toFixed(2);

  const config = await (await fetch("/models/config.json")).json();
  const threads = await startRuntime();
  const accelerator = resolveAccelerator(parameters.get("accelerator") ?? "auto");
  const generator = await FaceGenerator.load(config, accelerator);

  elements.model.textContent =
    `${config.source_model}: ${config.resolution}x${config.resolution}, ` +
    `${config.mapping.kind} + ${config.synthesis.kind}`;
  elements.backend.textContent = describeBackend(accelerator, threads);
  document.body.dataset.backend = elements.backend.textContent;

  elements.psi.addEventListener("input", () => {
    elements.psiValue.textContent = Number(elements.psi.value).toFixed(2);
  });
  elements.psi.addEventListener("change", () => drawFace(generator));
  elements.draw.addEventListener("click", () => drawFace(generator));
  elements.newFace.addEventListener("click", () => {
    elements.seed.value = String(randomSeed());
    drawFace(generator);
  });
  setState("ready");
  await drawFace(generator);
}

start().catch((error) => {
  console.error(error);
  setState("error", `failed to start: ${error.message ?? error}`);
});

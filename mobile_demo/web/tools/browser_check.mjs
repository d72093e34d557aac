// Drive the demo page in headless Chromium: draw one seed, save the canvas pixels,
// a screenshot and every request the page made.
//
// Usage: node browser_check.mjs '<options as JSON>'
// Options: url (the demo page), chromium (executable path), outDir, seed, psi,
// timeoutMs (per wait), screenshot (PNG path).
// Writes outDir/result.json and outDir/pixels.rgba (height x width x 4 bytes).
// Requests to hosts other than 127.0.0.1 are aborted and listed in result.json.

import { writeFile } from "node:fs/promises";
import path from "node:path";

import { chromium } from "playwright-core";

// Chromium as root needs --no-sandbox, and the background-networking flags stop it from
// calling Google services, which this check must not reach.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
];
const LOOPBACK_HOST = "127.0.0.1";

function isLoopback(url) {
  const parsed = new URL(url);
  return parsed.protocol === "data:" || parsed.protocol === "blob:" || parsed.hostname === LOOPBACK_HOST;
}

async function waitForDraw(page, count, seed, psi, timeoutMs) {
  await page.waitForFunction(
    ([wantCount, wantSeed, wantPsi]) => {
      const data = document.body.dataset;
      if (data.state === "error") {
        throw new Error(document.getElementById("message").textContent);
      }
      return Number(data.draws ?? 0) >= wantCount && data.state === "ready" &&
        data.lastSeed === wantSeed && data.lastPsi === wantPsi;
    },
    [count, String(seed), String(psi)],
    { timeout: timeoutMs, polling: 100 },
  );
}

async function readCanvas(page) {
  return page.evaluate(() => {
    const canvas = document.getElementById("face");
    const rgba = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let binary = "";
    for (let i = 0; i < rgba.length; i += 0x8000) {
      binary += String.fromCharCode(...rgba.subarray(i, i + 0x8000));
    }
    return { width: canvas.width, height: canvas.height, base64: btoa(binary) };
  });
}

async function drawSeed(page, options) {
  await page.locator("#seed").fill(String(options.seed));
  await page.locator("#psi").evaluate((slider, value) => {
    slider.value = String(value);
    slider.dispatchEvent(new Event("input"));
  }, options.psi);
  const before = Number(await page.evaluate(() => document.body.dataset.draws ?? 0));
  const start = Date.now();
  await page.locator("#draw").click();
  await waitForDraw(page, before + 1, options.seed, options.psi, options.timeoutMs);
  return Date.now() - start;
}

async function main() {
  const options = JSON.parse(process.argv[2]);
  const requests = [];
  const blocked = [];
  const consoleErrors = [];
  const pageErrors = [];

  const browser = await chromium.launch({ executablePath: options.chromium, args: CHROMIUM_ARGS, headless: true });
  try {
    const context = await browser.newContext({ viewport: { width: 720, height: 780 } });
    await context.route(
      (url) => !isLoopback(url.href),
      (route) => {
        blocked.push(route.request().url());
        return route.abort("blockedbyclient");
      },
    );
    const page = await context.newPage();
    page.on("request", (request) => requests.push(request.url()));
    page.on("console", (message) => {
      if (message.type() === "error") {
        consoleErrors.push(message.text());
      }
    });
    page.on("pageerror", (error) => pageErrors.push(String(error)));

    const loadStart = Date.now();
    await page.goto(`${options.url}?accelerator=wasm&seed=${options.seed}&psi=0.5`);
    await waitForDraw(page, 1, options.seed, 0.5, options.timeoutMs);
    const loadMs = Date.now() - loadStart;

    const clickToImageMs = await drawSeed(page, options);
    const canvas = await readCanvas(page);
    await writeFile(path.join(options.outDir, "pixels.rgba"), Buffer.from(canvas.base64, "base64"));
    if (options.screenshot) {
      await page.screenshot({ path: options.screenshot });
    }

    const dataset = await page.evaluate(() => ({ ...document.body.dataset }));
    const result = {
      width: canvas.width,
      height: canvas.height,
      backend: dataset.backend,
      inferenceMs: Number(dataset.lastMs),
      timingText: await page.locator("#timing").textContent(),
      loadMs,
      clickToImageMs,
      requests,
      blocked,
      pageErrors,
      // LiteRT.js writes its INFO and WARNING logs to console.error, so these are not all failures.
      consoleErrors,
      userAgent: await page.evaluate(() => navigator.userAgent),
    };
    await writeFile(path.join(options.outDir, "result.json"), JSON.stringify(result, null, 2));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

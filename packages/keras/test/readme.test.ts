import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { captureConsole, useCpu } from './helpers';

useCpu();

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');

/** The ```ts code blocks of the README section headed `heading`, in order. */
function codeBlocks(heading: string): string[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no '## ${heading}' section`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/**
 * Runs README code as an ES module: written next to this test (so its imports
 * resolve through this package's dependencies) with '@tsdl/keras' pointed at
 * the sources, imported, then deleted.
 */
async function runModule(code: string, name: string): Promise<Record<string, unknown>> {
  const file = join(here, `.readme-${name}-${process.pid}.ts`);
  const source = code.replaceAll("from '@tsdl/keras'", `from '${resolve(here, '../src/index.ts')}'`);
  await writeFile(file, source);
  try {
    return await import(/* @vite-ignore */ file);
  } finally {
    await rm(file, { force: true });
  }
}

describe('README', () => {
  it('the example trains, evaluates, predicts, prints the summary, and saves and loads the model', async () => {
    const [example, functional] = codeBlocks('Example');
    expect(example).toContain("from '@tsdl/keras'");
    const { log } = await captureConsole(() => runModule(example, 'example'));
    const printed = log.join('\n');
    expect(printed).toContain(' dense_');
    expect(printed).toContain('Total params: 114\nTrainable params: 114\nNon-trainable params: 0');
    const accuracy = Number(/accuracy (\d\.\d{4})/.exec(printed)?.[1]);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
    const valAccuracy = log
      .find((l) => l.startsWith('val_accuracy by epoch:'))!
      .split(' ')
      .pop()!
      .split(',')
      .map(Number);
    expect(valAccuracy).toHaveLength(20);
    expect(valAccuracy[19]).toBeGreaterThanOrEqual(0.9);
    const probabilities = log.find((l) => l.startsWith('probabilities:'))!.replace('probabilities:', '');
    const restored = log.find((l) => l.startsWith('restored:'))!.replace('restored:', '');
    expect(probabilities.split(',')).toHaveLength(6);
    expect(restored).toBe(probabilities);

    // The functional fragment, with the imports it leaves out.
    const mod = await runModule(
      `import { Dense, Input, model } from '@tsdl/keras';\n${functional}\nexport { net };\n`,
      'functional',
    );
    const net = mod.net as { predict(x: unknown): { shape: number[] }; layers: unknown[] };
    const { randn } = await import('@tsdl/tensor');
    expect(net.layers).toHaveLength(2);
    expect(net.predict(randn([5, 4])).shape).toEqual([5, 2]);
  });
});

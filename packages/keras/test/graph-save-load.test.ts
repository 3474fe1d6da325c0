import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Add,
  Average,
  Concatenate,
  Dense,
  Dot,
  Input,
  Maximum,
  Minimum,
  MultiHeadAttention,
  Multiply,
  Subtract,
  loadModel,
  model,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { expectValues, flat, seeded, useCpu, useTempDir } from './helpers';

useCpu();

/** Every merge layer in one graph over two inputs. */
function allMerges() {
  const a = Input({ shape: [3], name: 'a' });
  const b = Input({ shape: [3], name: 'b' });
  const pa = new Dense({ units: 4, name: 'pa', seed: 1 }).apply(a);
  const pb = new Dense({ units: 4, name: 'pb', seed: 2 }).apply(b);
  const merged = [
    new Add({ name: 'm_add' }).apply([pa, pb]),
    new Subtract({ name: 'm_sub' }).apply([pa, pb]),
    new Multiply({ name: 'm_mul' }).apply([pa, pb]),
    new Average({ name: 'm_avg' }).apply([pa, pb]),
    new Maximum({ name: 'm_max' }).apply([pa, pb]),
    new Minimum({ name: 'm_min' }).apply([pa, pb]),
    new Dot({ axes: [1, -1], normalize: true, name: 'm_dot' }).apply([pa, pb]),
  ];
  const joined = new Concatenate({ axis: -1, name: 'm_cat' }).apply(merged);
  return model({
    inputs: [a, b],
    outputs: [new Dense({ units: 2, name: 'out', seed: 3 }).apply(joined), merged[6]],
    name: 'merges',
  });
}

describe('saving graphs', () => {
  const dir = useTempDir();

  it('every merge layer round-trips its config; the reloaded model predicts the same', async () => {
    const m = allMerges();
    const xa = seeded([5, 3], 1);
    const xb = seeded([5, 3], 2);
    const before = m.predict([xa, xb]);
    await m.save(dir());
    const loaded = await loadModel<Tensor[]>(dir());
    expect(loaded.getConfig()).toEqual(m.getConfig());
    const after = loaded.predict([xa, xb]);
    expect(after).toHaveLength(2);
    expectValues(after[0], flat(before[0]), { atol: 0, rtol: 0 });
    expectValues(after[1], flat(before[1]), { atol: 0, rtol: 0 });
    const config = JSON.parse(await readFile(join(dir(), 'config.json'), 'utf8'));
    const entry = (name: string) =>
      config.config.layers.find((l: { config: { name: string } }) => l.config.name === name);
    expect(entry('m_dot').config).toMatchObject({ axes: [1, -1], normalize: true });
    expect(entry('m_cat').config).toMatchObject({ axis: -1 });
    expect(entry('m_cat').inboundNodes).toEqual([
      ['m_add', 'm_sub', 'm_mul', 'm_avg', 'm_max', 'm_min', 'm_dot'].map((n) => [n, 0, 0]),
    ]);
    expect(config.config.inputLayers).toEqual([
      ['a', 0, 0],
      ['b', 0, 0],
    ]);
    expect(config.config.outputLayers).toEqual([
      ['out', 0, 0],
      ['m_dot', 0, 0],
    ]);
    expect(config.config.outputsAsList).toBe(true);
  });

  it('saves per-output compile settings and restores them', async () => {
    const m = allMerges();
    m.compile({
      optimizer: 'adam',
      loss: { out: 'mse', m_dot: 'mae' },
      lossWeights: { out: 2, m_dot: 0.25 },
      metrics: { out: ['mae'] },
    });
    const art = await modelToArtifacts(m);
    expect(art.config.compileConfig).toMatchObject({
      loss: { out: 'mse', m_dot: 'mae' },
      lossWeights: { out: 2, m_dot: 0.25 },
      metrics: { out: ['mae'] },
    });
    const loaded = modelFromArtifacts<Tensor[]>(art);
    const xa = seeded([6, 3], 3);
    const xb = seeded([6, 3], 4);
    const ya = seeded([6, 2], 5);
    const yb = seeded([6, 1], 6);
    expect(await loaded.evaluate([xa, xb], [ya, yb])).toEqual(await m.evaluate([xa, xb], [ya, yb]));
  });

  it('loads functional models saved in the earlier layout (one entry per node, layers named in inbound)', async () => {
    const x = Input({ shape: [5, 4], name: 'tokens' });
    const h = new Dense({ units: 4, name: 'proj', seed: 1 }).apply(x);
    const att = new MultiHeadAttention({ numHeads: 2, keyDim: 2, name: 'att', seed: 2 }).apply(h, h, {
      useCausalMask: true,
    });
    const m = model({ inputs: x, outputs: new Dense({ units: 3, name: 'out', seed: 3 }).apply(att), name: 'older' });
    const art = await modelToArtifacts(m);
    const now = art.config.config as {
      layers: { className: string; config: unknown; inboundNodes: [string, number, number, object?][][] }[];
      name: string;
    };
    // What the writer before this layout wrote.
    art.config.config = {
      name: now.name,
      layers: now.layers.map((l) => {
        const refs = l.inboundNodes[0] ?? [];
        const callArgs = refs[0]?.[3];
        return {
          className: l.className,
          config: l.config,
          inbound: refs.map((r) => r[0]),
          ...(callArgs ? { callArgs } : {}),
        };
      }),
      inputLayer: 'tokens',
      outputLayer: 'out',
    };
    const loaded = modelFromArtifacts(art, 'old-layout');
    const xs = seeded([2, 5, 4], 7);
    expectValues(loaded.predict(xs), flat(m.predict(xs)), { atol: 0, rtol: 0 });
    // Saved again, it is written in the current layout.
    expect(loaded.getConfig()).toEqual(m.getConfig());
  });
});

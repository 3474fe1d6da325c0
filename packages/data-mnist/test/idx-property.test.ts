import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DataFormatError } from '@tsdl/tensor';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIdx, readIdx } from '../src/idx';
import { readMnistArrays } from '../src/index';
import { idxBytes } from './idx-bytes';

/*
 * Property tests: random IDX files, raw and gzipped, and random damage to
 * them. Every outcome is either exactly what the bytes hold (read by the small
 * reference reader below, from the format's description) or a DataFormatError
 * naming the file; never a RangeError, a TypeError, a hang or a huge allocation.
 */

const SOURCE = 'prop/train-images-idx3-ubyte';

/** What raw IDX bytes hold, or 'invalid'. */
function reference(b: Uint8Array): { dims: number[]; data: number[] } | 'invalid' {
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0 || b[2] !== 8) return 'invalid';
  const rank = b[3];
  if (b.length < 4 + 4 * rank) return 'invalid';
  const dims: number[] = [];
  for (let i = 0; i < rank; i++)
    dims.push(((b[4 + 4 * i] << 24) >>> 0) + (b[5 + 4 * i] << 16) + (b[6 + 4 * i] << 8) + b[7 + 4 * i]);
  let size = 1;
  for (const d of dims) size *= d;
  return size === b.length - 4 - 4 * rank ? { dims, data: [...b.subarray(4 + 4 * rank)] } : 'invalid';
}

/** What gzip bytes hold: Node's one-shot gunzip, then the reference; 'invalid' where either refuses. */
function referenceGz(gz: Uint8Array): ReturnType<typeof reference> {
  let raw: Uint8Array;
  try {
    raw = new Uint8Array(gunzipSync(gz));
  } catch {
    return 'invalid';
  }
  return reference(raw);
}

/** Compares an outcome with the reference: the same array, or a DataFormatError naming the file where the reference refuses. */
function agree(
  outcome: { ok: { dims: number[]; data: Uint8Array } } | { error: unknown },
  want: ReturnType<typeof reference>,
): void {
  if ('error' in outcome) {
    const e = outcome.error;
    if (!(e instanceof DataFormatError)) throw new Error(`not a DataFormatError: ${(e as Error)?.stack ?? e}`);
    expect(e.message.startsWith(`${SOURCE}: `)).toBe(true);
    if (want !== 'invalid') throw new Error(`rejected a valid file: ${e.message}`);
    return;
  }
  expect(want).not.toBe('invalid');
  const w = want as Exclude<typeof want, 'invalid'>;
  expect(outcome.ok.dims).toEqual(w.dims);
  expect(outcome.ok.data.length).toBe(w.data.length);
  expect([...outcome.ok.data]).toEqual(w.data);
}

const run = (fn: () => { dims: number[]; data: Uint8Array }) => {
  try {
    return { ok: fn() };
  } catch (error) {
    return { error };
  }
};
const runAsync = async (fn: () => Promise<{ dims: number[]; data: Uint8Array }>) => {
  try {
    return { ok: await fn() };
  } catch (error) {
    return { error };
  }
};

const idxFile = fc
  .array(fc.integer({ min: 0, max: 6 }), { maxLength: 4 })
  .chain((dims) => {
    const n = dims.reduce((a, b) => a * b, 1);
    return fc.tuple(fc.constant(dims), fc.uint8Array({ minLength: n, maxLength: n }));
  })
  .map(([dims, payload]) => ({ dims, payload, bytes: idxBytes(dims, payload) }));

type Mutation = (b: Uint8Array) => Uint8Array;
const damage: fc.Arbitrary<Mutation> = fc.oneof(
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }).map(
    (flips): Mutation =>
      (b) => {
        const out = b.slice();
        for (const [at, x] of flips) if (out.length) out[at % out.length] ^= x;
        return out;
      },
  ),
  fc.nat().map(
    (cut): Mutation =>
      (b) =>
        b.subarray(0, cut % (b.length + 1)),
  ),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map(
    (extra): Mutation =>
      (b) => {
        const out = new Uint8Array(b.length + extra.length);
        out.set(b);
        out.set(extra, b.length);
        return out;
      },
  ),
);
/** Edits of the header fields: one dimension set to any uint32 (small or huge), the rank byte, the type byte. */
const headerEdit: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .tuple(
      fc.nat(),
      fc.oneof(fc.integer({ min: 0, max: 10 }), fc.constantFrom(0xffffffff, 0x80000000, 65536), fc.nat()),
    )
    .map(
      ([k, v]): Mutation =>
        (b) => {
          const out = b.slice();
          const rank = out[3];
          if (rank > 0 && out.length >= 4 + 4 * rank)
            new DataView(out.buffer).setUint32(4 + 4 * (k % rank), v >>> 0, false);
          return out;
        },
    ),
  fc.integer({ min: 0, max: 255 }).map(
    (rank): Mutation =>
      (b) => {
        const out = b.slice();
        if (out.length > 3) out[3] = rank;
        return out;
      },
  ),
  fc.constantFrom(0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0xff).map(
    (type): Mutation =>
      (b) => {
        const out = b.slice();
        if (out.length > 2) out[2] = type;
        return out;
      },
  ),
);
const mutations = fc.array(fc.oneof(damage, headerEdit), { minLength: 1, maxLength: 3 });
const apply = (b: Uint8Array, ms: Mutation[]) => ms.reduce((x, m) => m(x), b);

describe('IDX reader (property tests)', () => {
  it('reads any IDX file exactly, raw and gzipped', async () => {
    await fc.assert(
      fc.asyncProperty(idxFile, async ({ dims, payload, bytes }) => {
        for (const got of [
          parseIdx(bytes, SOURCE),
          await readIdx(bytes, SOURCE),
          await readIdx(gzipSync(bytes), SOURCE),
        ]) {
          expect(got.dims).toEqual(dims);
          expect([...got.data]).toEqual([...payload]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('loads a damaged raw file exactly or throws a DataFormatError naming it', async () => {
    await fc.assert(
      fc.asyncProperty(idxFile, mutations, async ({ bytes }, ms) => {
        const b = apply(bytes, ms);
        agree(
          run(() => parseIdx(b, SOURCE)),
          reference(b),
        );
        agree(await runAsync(() => readIdx(b, SOURCE)), reference(b));
      }),
      { numRuns: 600 },
    );
  });

  it('loads a gzipped damaged file, or damaged gzip data, exactly or throws a DataFormatError naming it', async () => {
    await fc.assert(
      fc.asyncProperty(
        idxFile,
        mutations,
        fc.option(fc.array(damage, { minLength: 1, maxLength: 2 }), { nil: undefined }),
        async ({ bytes }, ms, gzDamage) => {
          const gz = new Uint8Array(gzipSync(apply(bytes, ms)));
          // Damage to the gzip data itself stays a gzip file (its magic kept) so the gzip path is what is tested.
          const b = gzDamage ? apply(gz, gzDamage) : gz;
          if (b.length >= 2) b.set([0x1f, 0x8b]);
          agree(await runAsync(() => readIdx(b, SOURCE)), referenceGz(b));
        },
      ),
      { numRuns: 600 },
    );
  });

  it('inflates no further than the header declares, whatever follows it', async () => {
    await fc.assert(
      fc.asyncProperty(idxFile, fc.integer({ min: 1, max: 200_000 }), async ({ bytes }, extra) => {
        const padded = new Uint8Array(bytes.length + extra);
        padded.set(bytes);
        const e = (await runAsync(() => readIdx(gzipSync(padded), SOURCE))) as { error?: Error };
        expect(e.error).toBeInstanceOf(DataFormatError);
        // Stopped by the cap as soon as a chunk passes the declared size, not after inflating the rest.
        expect(e.error!.message).toMatch(
          new RegExp(`^${SOURCE}: inflates to more than the ${bytes.length} bytes its header declares`),
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('MNIST labels (property test)', () => {
  const root = mkdtempSync(join(tmpdir(), 'mnist-prop-'));
  afterAll(() => rmSync(root, { recursive: true }));

  it('load when every label is 0..9, else fail naming the file, the first bad index and its value', async () => {
    let k = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }),
        async (labels) => {
          const dir = join(root, String(k++));
          mkdirSync(dir);
          const n = labels.length;
          writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxBytes([n, 1, 1], new Array(n).fill(0)));
          writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes([n], labels));
          writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxBytes([0, 1, 1], []));
          writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxBytes([0], []));
          const bad = labels.findIndex((l) => l > 9);
          const got = await runAsync(async () => {
            const { train } = await readMnistArrays({ source: { dir } });
            return { dims: [train.count], data: train.labels };
          });
          if (bad < 0) {
            expect('ok' in got).toBe(true);
            expect([...(got as { ok: { data: Uint8Array } }).ok.data]).toEqual(labels);
          } else {
            const e = (got as { error: Error }).error;
            expect(e).toBeInstanceOf(DataFormatError);
            expect(e.message).toBe(
              `${join(dir, 'train-labels-idx1-ubyte')}: the label at index ${bad} is ${labels[bad]}, not a class id 0..9`,
            );
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

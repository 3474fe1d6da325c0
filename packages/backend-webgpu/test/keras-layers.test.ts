import { gradients } from '@tsdl/autograd';
import { cpu } from '@tsdl/backend-cpu';
import { type Layer, registeredLayerClasses } from '@tsdl/keras';
import { type Backend, type Tensor, memory, seed, setBackend, tensor, tidy } from '@tsdl/tensor';
import { compareClose, seededNumbers } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
// Not public: the function loadModel makes a saved layer with.
import { layerFromConfig } from '../../keras/src/layers/registry';
import { acquireTestGpu, gpuAvailable } from './gpu';
import { EXCLUDED, type InputSpec, LAYER_CASES, type LayerCase } from './keras-layer-cases';

/**
 * Every keras layer class on WebGPU against the CPU backend: the same layer,
 * the same weights (seeded values written into every weight after the first
 * call built them) and the same inputs. Compared: the inference-mode output,
 * and in training mode the output and the gradients of a seeded weighted sum
 * of it w.r.t. the float inputs and the trainable weights. Both are float32,
 * so the tolerance is 1e-4 relative (1e-5 absolute near zero). The cases are
 * in keras-layer-cases.ts; the coverage test below keeps that table in step
 * with keras' layer registry.
 */

const TOL = { atol: 1e-5, rtol: 1e-4 };

describe('keras layer parity table', () => {
  it('has a case, or a stated exclusion, for every registered layer class', () => {
    const covered = new Set(LAYER_CASES.map((c) => c.className));
    const registered = registeredLayerClasses();
    expect(registered.length).toBeGreaterThan(0);
    const missing = registered.filter((n) => !covered.has(n) && !EXCLUDED.has(n));
    expect(missing, 'registered layer classes with no parity case (add one to keras-layer-cases.ts)').toEqual([]);
    expect(
      [...EXCLUDED.keys()].filter((n) => covered.has(n)),
      'classes both with a case and excluded',
    ).toEqual([]);
  });
});

/**
 * Numbers read back from one backend, in order, with what they are ('inference output 0',
 * 'gradient w.r.t. kernel' …). Compared by position: automatic layer names, and so a
 * model's weight names, differ between the two runs.
 */
type Readings = { what: string; shape: number[]; dtype: string; values: Float64Array }[];

function makeInput(spec: InputSpec, i: number): Tensor {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.dtype === 'int32') {
    const v = seededNumbers(n, 200 + i, spec.lo ?? 0, spec.hi ?? 2).map(Math.floor);
    return tensor(Int32Array.from(v), spec.shape, 'int32');
  }
  return tensor(seededNumbers(n, 100 + i, spec.lo ?? -1, spec.hi ?? 1), spec.shape);
}

/** The tensors of a layer's result, in order (a tensor, a list, or a cell's [output, [states]]). */
function flat(out: unknown): Tensor[] {
  return Array.isArray(out) ? out.flatMap(flat) : [out as Tensor];
}

/** Writes seeded values into every float weight (variances kept positive), the same on every backend. */
function setSeededWeights(layer: Layer): void {
  const all = [...layer.namedParameters(), ...layer.namedBuffers()];
  all.forEach(([name, w], i) => {
    if (w.dtype !== 'float32') return;
    const positive = /variance/.test(name);
    const v = tensor(seededNumbers(w.size, 300 + i, positive ? 0.5 : -0.5, positive ? 1.5 : 0.5), [...w.shape]);
    w.assign(v);
    v.dispose();
  });
}

async function read(into: Readings, what: string, t: Tensor): Promise<void> {
  into.push({ what, shape: [...t.shape], dtype: t.dtype, values: Float64Array.from(await t.data(), Number) });
}

/** Runs a case on `backend`; returns what it read. Frees everything it made (checked). */
async function runCase(backend: Backend, c: LayerCase): Promise<Readings> {
  setBackend(backend);
  seed(0);
  const before = memory().numTensors;
  const out: Readings = [];
  const layer = c.make ? c.make() : layerFromConfig({ className: c.className, config: c.config ?? {} });
  const inputs = c.inputs.map(makeInput);
  const call = (xs: Tensor[]): Tensor[] => {
    const ys = flat(c.call ? c.call(layer, xs) : layer.apply(xs[0], ...xs.slice(1)));
    // An identity layer (or a noise layer in inference) returns its input: a copy, so the caller may dispose what it gets.
    return ys.map((y) => (xs.includes(y) ? y.clone() : y));
  };
  try {
    layer.eval();
    tidy(() => {
      call(inputs); // builds the weights
    });
    setSeededWeights(layer);
    const inferred = tidy(() => call(inputs));
    for (const [i, t] of inferred.entries()) await read(out, `inference output ${i}`, t);
    inferred.forEach((t) => t.dispose());

    layer.train();
    const floatInputs = inputs.filter((x) => x.dtype === 'float32');
    for (const x of floatInputs) x.requiresGrad = true;
    const weights = layer.namedParameters().filter(([, w]) => w.requiresGrad);
    const targets = [...floatInputs, ...weights.map(([, w]) => w)];
    const trained = tidy(() => {
      const ys = call(inputs);
      if (c.noGrad !== undefined || targets.length === 0) return { ys, grads: [] as Tensor[] };
      // A weighted sum, so each output element's gradient differs (a plain sum hides permutations).
      const loss = ys
        .filter((y) => y.dtype === 'float32')
        .map((y, i) => y.mul(tensor(seededNumbers(y.size, 400 + i, -1, 1), [...y.shape])).sum())
        .reduce((a, b) => a.add(b));
      return { ys, grads: gradients(loss, targets) };
    });
    for (const [i, t] of trained.ys.entries()) await read(out, `training output ${i}`, t);
    const names = [...floatInputs.map((_, i) => `input ${i}`), ...weights.map(([n]) => n)];
    for (const [i, g] of trained.grads.entries()) await read(out, `gradient w.r.t. ${names[i]}`, g);
    [...trained.ys, ...trained.grads].forEach((t) => t.dispose());
  } finally {
    inputs.forEach((t) => t.dispose());
    layer.dispose();
  }
  expect(memory().numTensors, `tensors left on ${backend.name}`).toBe(before);
  return out;
}

const gpu = await acquireTestGpu();

describe.runIf(gpuAvailable(gpu, it))('webgpu: keras layers match the CPU backend', () => {
  const reference = cpu({ name: 'cpu-keras-layers' });
  let device: Backend | null = null;

  // A case written for a layer another change has not registered yet shows as skipped, not as a failure.
  const registered = new Set(registeredLayerClasses());
  for (const c of LAYER_CASES) {
    const title = `${c.className}${c.variant ? ` (${c.variant})` : ''}`;
    if (!registered.has(c.className)) {
      it.skip(`${title}: not a registered layer class`, () => {});
      continue;
    }
    it(title, async () => {
      device ??= gpu.backend('webgpu-keras-layers');
      const want = await runCase(reference, c);
      const got = await runCase(device, c);
      const kinds = (r: Readings) => r.map((x) => x.what.replace(/ w\.r\.t\. .*/, ''));
      expect(kinds(got)).toEqual(kinds(want));
      if (c.noGrad === undefined) expect(want.some((x) => x.what.startsWith('gradient'))).toBe(true);
      want.forEach((w, i) => {
        const g = got[i];
        expect([g.shape, g.dtype], w.what).toEqual([w.shape, w.dtype]);
        const msg = compareClose(g.values, w.values, TOL);
        expect(msg, `${w.what}: ${msg}`).toBeNull();
      });
    });
  }
});

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Tensor, add, memory, relu, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  BatchNormalization,
  Conv2D,
  Dense,
  Embedding,
  Flatten,
  GlobalAveragePooling1D,
  Input,
  Layer,
  type LayerArgs,
  Sequential,
  decodeSafetensors,
  loadModel,
  model,
  optimizers,
  registerLayer,
} from '../src/index';
import { flat, seeded, useCpu, useTempDir } from './helpers';

useCpu();
const tempDir = useTempDir();

interface BlockArgs extends LayerArgs {
  filters?: number;
}

/** Keras' custom-layer guide's pattern: sub-layers made in the constructor, held in properties. */
class ResBlock extends Layer {
  readonly filters: number;
  conv1: Conv2D;
  conv2: Conv2D;
  constructor(args: BlockArgs = {}) {
    const { filters = 2, ...rest } = args;
    super(rest);
    this.filters = filters;
    this.conv1 = new Conv2D({ filters, kernelSize: 3, padding: 'same', seed: 1 });
    this.conv2 = new Conv2D({ filters, kernelSize: 3, padding: 'same', seed: 2 });
  }
  override forward(x: Tensor): Tensor {
    return tidy(() => relu(add(x, this.conv2.call(relu(this.conv1.call(x))))));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), filters: this.filters };
  }
}
registerLayer('ResBlock', ResBlock as never);

/** Sub-layers in an array, one of them named like a top-level layer of the test model. */
class Mlp extends Layer {
  stack: Dense[];
  constructor(args: LayerArgs = {}) {
    super(args);
    this.stack = [new Dense({ units: 4, activation: 'relu', seed: 5 }), new Dense({ units: 3, seed: 6, name: 'head' })];
  }
  override forward(x: Tensor): Tensor {
    return this.stack.reduce((h, l) => l.call(h), x);
  }
}
registerLayer('Mlp', Mlp as never);

/** A sub-layer made in build (Keras' other pattern), and a BatchNormalization whose statistics must not move while building. */
class Projection extends Layer {
  proj: Dense | null = null;
  bn = new BatchNormalization();
  override build(inputShape: (number | null)[]): void {
    this.proj = new Dense({ units: 2 * (inputShape[inputShape.length - 1] as number), seed: 9 });
  }
  override forward(x: Tensor): Tensor {
    return this.bn.call((this.proj as Dense).call(x));
  }
}

function convNet(): Sequential {
  return new Sequential({
    name: 'res_net',
    layers: [
      new ResBlock({ inputShape: [4, 4, 2], name: 'block' }),
      new Flatten({ name: 'flat' }),
      new Dense({ units: 3, seed: 4, name: 'out' }),
    ],
  });
}

describe('layers held in properties', () => {
  it('count in summary, weights and trainableWeights, named <outer>/<property>/<weight>', () => {
    const before = memory().numTensors;
    const m = convNet();
    const text = m.summary(false);
    // conv: 3·3·2·2 + 2 = 38 twice; dense: 32·3 + 3 = 99.
    expect(text).toMatch(/ block \(ResBlock\) +\(None, 4, 4, 2\) +76\n/);
    expect(text).toContain('Total params: 175');
    expect(text).toContain('Trainable params: 175');
    expect(m.namedModelWeights().map(([k, w]) => `${k} [${w.shape}]`)).toEqual([
      'block/conv1/kernel [3,3,2,2]',
      'block/conv1/bias [2]',
      'block/conv2/kernel [3,3,2,2]',
      'block/conv2/bias [2]',
      'out/kernel [32,3]',
      'out/bias [3]',
    ]);
    const block = m.layers[0] as ResBlock;
    expect(block.trainableWeights).toHaveLength(4);
    expect(block.trainableWeights[0]).toBe(block.conv1.kernel);
    expect(m.trainableWeights).toHaveLength(6);
    expect(m.nonTrainableWeights).toHaveLength(0);
    expect(Object.keys(m.stateDict())).toContain('block.conv2.bias');
    m.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('getWeights / setWeights cover the sub-layers', () => {
    const a = convNet();
    const b = convNet();
    const x = seeded([2, 4, 4, 2], 7);
    const ws = a.getWeights();
    expect(ws).toHaveLength(6);
    b.setWeights(ws);
    const ya = a.predict(x);
    const yb = b.predict(x);
    expect(flat(yb)).toEqual(flat(ya));
    // The block alone: its four weights.
    const bw = (a.layers[0] as ResBlock).getWeights();
    expect(bw.map((w) => w.shape)).toEqual([[3, 3, 2, 2], [2], [3, 3, 2, 2], [2]]);
    for (const t of [...ws, ...bw, x, ya, yb]) t.dispose();
    a.dispose();
    b.dispose();
  });

  it('save keeps them: the reloaded model predicts exactly the same (save dropped them before)', async () => {
    const m = convNet();
    m.compile({ optimizer: optimizers.Adam({ learningRate: 0.05 }), loss: 'mse' });
    const x = seeded([8, 4, 4, 2], 11);
    const y = seeded([8, 3], 12);
    await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    const dir = join(tempDir(), 'resnet');
    await m.save(dir);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    const { tensors } = decodeSafetensors(new Uint8Array(await readFile(join(dir, config.files.weights.path))));
    expect(Object.keys(tensors).sort()).toEqual([
      'block/conv1/bias',
      'block/conv1/kernel',
      'block/conv2/bias',
      'block/conv2/kernel',
      'out/bias',
      'out/kernel',
    ]);
    const loaded = await loadModel(dir);
    const y1 = m.predict(x);
    const y2 = loaded.predict(x);
    expect(flat(y2)).toEqual(flat(y1));
    for (const t of [x, y, y1, y2]) t.dispose();
    m.dispose();
    loaded.dispose();
  });

  it('arrays of layers are tracked as <property>_<index>; a sub-layer named like a top-level layer still loads', async () => {
    const m = new Sequential({
      layers: [new Mlp({ inputShape: [5], name: 'mlp' }), new Dense({ units: 2, seed: 7, name: 'head' })],
    });
    expect(m.namedModelWeights().map(([k]) => k)).toEqual([
      'mlp/stack_0/kernel',
      'mlp/stack_0/bias',
      'mlp/stack_1/kernel',
      'mlp/stack_1/bias',
      'head/kernel',
      'head/bias',
    ]);
    expect(m.summary(false)).toContain('Total params: 47'); // 5·4+4 + 4·3+3 + 3·2+2
    const dir = join(tempDir(), 'mlp');
    await m.save(dir);
    const loaded = await loadModel(dir);
    const x = seeded([3, 5], 13);
    const y1 = m.predict(x);
    const y2 = loaded.predict(x);
    expect(flat(y2)).toEqual(flat(y1));
    for (const t of [x, y1, y2]) t.dispose();
    m.dispose();
    loaded.dispose();
  });

  it('a layer made in build is tracked; building runs in inference mode (BatchNormalization statistics untouched), without leaks', () => {
    const before = memory().numTensors;
    const x = Input({ shape: [3] });
    const p = new Projection({ name: 'proj_block' });
    const out = p.apply(x);
    // The output shape comes from running the block once (Keras 3 runs call symbolically).
    expect(out.shape).toEqual([null, 6]);
    const f = model({ inputs: x, outputs: out });
    expect(f.namedModelWeights().map(([k]) => k)).toEqual([
      'proj_block/bn/gamma',
      'proj_block/bn/beta',
      'proj_block/bn/moving_mean',
      'proj_block/bn/moving_variance',
      'proj_block/proj/kernel',
      'proj_block/proj/bias',
    ]);
    expect(flat(p.bn.movingMean)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(flat(p.bn.movingVariance)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(f.summary(false)).toContain('Non-trainable params: 12');
    f.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('a block that takes token ids builds with int32 zeros', () => {
    class Encoder extends Layer {
      emb = new Embedding({ inputDim: 10, outputDim: 4, seed: 1 });
      pool = new GlobalAveragePooling1D();
      override forward(x: Tensor): Tensor {
        return this.pool.call(this.emb.call(x));
      }
    }
    const m = new Sequential([new Encoder({ inputShape: [6] }), new Dense({ units: 1 })]);
    expect(m.summary(false)).toContain('Total params: 45'); // 10·4 + 4·1+1
    expect(m.outputShape).toEqual([null, 1]);
    m.dispose();
  });

  it('trainable = false on the outer layer freezes the sub-layers', () => {
    const m = convNet();
    const block = m.layers[0] as ResBlock;
    block.trainable = false;
    expect(block.conv1.trainable).toBe(false);
    expect(block.conv2.kernel.requiresGrad).toBe(false);
    expect(m.trainableWeights).toHaveLength(2);
    expect(m.summary(false)).toContain('Non-trainable params: 76');
    m.dispose();
  });
});

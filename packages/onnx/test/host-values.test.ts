import { cpu } from '@tsdl/backend-cpu';
import { dispose, setBackend, tensor } from '@tsdl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AttrInput, GraphBuilder } from '../src/export/graph-builder';
import { loadOnnx } from '../src/index';

/**
 * Values computed on the host (small integer constants and shape arithmetic)
 * and the same computation on tensors give the same answers, known in advance.
 */

beforeAll(() => setBackend(cpu({ name: 'onnx-host-cpu' })));

const FLOAT = 1;
const INT64 = 7;

/** A one-node graph over a device input x and host constants. */
function oneNode(
  op: string,
  x: { type: number; dims: number[] },
  constants: { values: number[]; dims: number[]; type?: number }[],
  attrs: Record<string, AttrInput>,
  outType: number,
): Uint8Array {
  const b = new GraphBuilder();
  const input = b.input('x', x.type, x.dims);
  const ins = constants.map((c, i) => b.constant(`c${i}`, c.values, c.dims, c.type ?? INT64));
  b.output(b.node(op, [input, ...ins], 'y', attrs), 'out', outType, []);
  return b.encode({ opset: 13, producer: 'test', graphName: 'g' });
}

async function run(bytes: Uint8Array, x: ReturnType<typeof tensor>): Promise<{ shape: number[]; data: number[] }> {
  const model = loadOnnx(bytes);
  const out = model.run([x]).out;
  const result = { shape: [...out.shape], data: Array.from(await out.data()) };
  dispose([out, x]);
  model.dispose();
  return result;
}

describe('host and device agree', () => {
  it('integer Div truncates toward zero on both (ONNX, as C)', async () => {
    const bytes = oneNode('Div', { type: INT64, dims: [4] }, [{ values: [2, -2, 3, 4], dims: [4] }], {}, INT64);
    expect(await run(bytes, tensor(Int32Array.from([7, 7, -7, -9]), [4], 'int32'))).toEqual({
      shape: [4],
      data: [3, -3, -2, -2],
    });
    // Both operands constants: Div runs on the host, then meets the device input in an Add.
    const b = new GraphBuilder();
    const zero = b.input('x', INT64, [4]);
    const q = b.node('Div', [b.int64s('n', [7, 7, -7, -9]), b.int64s('d', [2, -2, 3, 4])], 'q');
    b.output(b.node('Add', [zero, q], 'y'), 'out', INT64, [4]);
    expect(
      await run(
        b.encode({ opset: 13, producer: 't', graphName: 'g' }),
        tensor(Int32Array.from([0, 0, 0, 0]), [4], 'int32'),
      ),
    ).toEqual({ shape: [4], data: [3, -3, -2, -2] });
  });

  it('Slice with negative steps (a flip) and clamped bounds', async () => {
    // x[::-2] along axis 1 and x[1:100] along axis 0.
    const bytes = oneNode(
      'Slice',
      { type: FLOAT, dims: [3, 5] },
      [
        { values: [1, -1], dims: [2] },
        { values: [100, -1e12], dims: [2] },
        { values: [0, 1], dims: [2] },
        { values: [1, -2], dims: [2] },
      ],
      {},
      FLOAT,
    );
    const x = tensor(
      Float32Array.from({ length: 15 }, (_, i) => i),
      [3, 5],
    );
    expect(await run(bytes, x)).toEqual({ shape: [2, 3], data: [9, 7, 5, 14, 12, 10] });
  });

  it('Gather with negative indices wraps them', async () => {
    const bytes = oneNode(
      'Gather',
      { type: FLOAT, dims: [4] },
      [{ values: [-1, 0, -4], dims: [3] }],
      { axis: { i: 0 } },
      FLOAT,
    );
    expect(await run(bytes, tensor([10, 20, 30, 40]))).toEqual({ shape: [3], data: [40, 10, 10] });
    // Device indices: the same wrap.
    const b = new GraphBuilder();
    const data = b.constant('data', [10, 20, 30, 40], [4]);
    const idx = b.input('idx', INT64, [2]);
    b.output(b.node('Gather', [data, idx], 'y'), 'out', FLOAT, [2]);
    expect(
      await run(b.encode({ opset: 13, producer: 't', graphName: 'g' }), tensor(Int32Array.from([-2, 1]), [2], 'int32')),
    ).toEqual({ shape: [2], data: [30, 20] });
  });

  it('a host constant and its reshape are uploaded with their own shapes', async () => {
    // Integer constants stay on the host; the reshape shares their data but not their shape.
    const b = new GraphBuilder();
    const x = b.input('x', INT64, [2, 2]);
    const flat = b.input('flat', INT64, [4]);
    const c = b.int64s('c', [1, 2, 3, 4]);
    const r = b.node('Reshape', [c, b.int64s('shape', [2, 2])], 'r');
    b.output(b.node('Add', [flat, c], 'sum1'), 'a', INT64, [4]);
    b.output(b.node('Add', [x, r], 'sum2'), 'b', INT64, [2, 2]);
    const model = loadOnnx(b.encode({ opset: 13, producer: 't', graphName: 'g' }));
    const ins = [
      tensor(Int32Array.from([0, 0, 10, 10]), [2, 2], 'int32'),
      tensor(Int32Array.from([0, 0, 0, 100]), [4], 'int32'),
    ];
    const out = model.run(ins);
    expect(out.a.shape).toEqual([4]);
    expect(Array.from(await out.a.data())).toEqual([1, 2, 3, 104]);
    expect(out.b.shape).toEqual([2, 2]);
    expect(Array.from(await out.b.data())).toEqual([1, 2, 13, 14]);
    dispose([out, ins]);
    model.dispose();
  });

  it('shape arithmetic: Shape, Gather, Mul, Unsqueeze, Concat feed a Reshape', async () => {
    // y = reshape(x, [shape(x)[0] * shape(x)[1], -1])
    const b = new GraphBuilder();
    const x = b.input('x', FLOAT, ['n', 3, 4]);
    const s = b.node('Shape', [x], 's');
    const d0 = b.node('Gather', [s, b.constant('i0', [0], [], INT64)], 'd0', { axis: { i: 0 } });
    const d1 = b.node('Gather', [s, b.constant('i1', [1], [], INT64)], 'd1', { axis: { i: 0 } });
    const rows = b.node('Unsqueeze', [b.node('Mul', [d0, d1], 'rows0'), b.int64s('axes', [0])], 'rows');
    const shape = b.node('Concat', [rows, b.int64s('minus1', [-1])], 'target', { axis: { i: 0 } });
    b.output(b.node('Reshape', [x, shape], 'y'), 'out', FLOAT, ['rows', 4]);
    const out = await run(
      b.encode({ opset: 13, producer: 't', graphName: 'g' }),
      tensor(
        Float32Array.from({ length: 24 }, (_, i) => i),
        [2, 3, 4],
      ),
    );
    expect(out.shape).toEqual([6, 4]);
    expect(out.data.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
  });
});

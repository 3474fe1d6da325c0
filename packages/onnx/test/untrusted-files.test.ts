import { cpu } from '@tsdl/backend-cpu';
import { DataFormatError, memory, setBackend } from '@tsdl/tensor';
import { seededNumbers } from '@tsdl/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../src/export/graph-builder';
import { OnnxUnsupportedError, loadOnnx } from '../src/index';
import { decodeModelProto, encodeModelProto } from '../src/proto/codec';
import type { ModelProto, TensorProto } from '../src/proto/types';
import { fixtureBytes } from './fixtures';

/**
 * loadOnnx treats a file as untrusted: damaged and lying files are
 * DataFormatErrors naming the file and the field, found before anything is
 * allocated (memory() unchanged), and a graph's unsupported operators are
 * reported together.
 */

beforeAll(() => setBackend(cpu({ name: 'onnx-untrusted-cpu' })));

/** Expects loadOnnx to throw a DataFormatError matching `message`, leaving memory as it was. */
function refuses(bytes: Uint8Array, message: RegExp, name = 'bad.onnx'): DataFormatError {
  const before = memory();
  let error: unknown = null;
  try {
    loadOnnx(bytes, { name }).dispose();
  } catch (e) {
    error = e;
  }
  expect(error, `loading ${name} should fail`).toBeInstanceOf(DataFormatError);
  expect((error as Error).message).toMatch(message);
  const after = memory();
  expect(after.numTensors).toBe(before.numTensors);
  expect(after.numBytes).toBe(before.numBytes);
  return error as DataFormatError;
}

/** The CNN fixture with `edit` applied to its decoded ModelProto. */
function edited(edit: (m: ModelProto) => void): Uint8Array {
  const m = decodeModelProto(fixtureBytes('cnn'), 'cnn.onnx');
  edit(m);
  return encodeModelProto(m);
}

const initializer = (m: ModelProto, name: string): TensorProto => m.graph!.initializer!.find((t) => t.name === name)!;

describe('damaged files', () => {
  const bytes = fixtureBytes('cnn');

  it('an empty file', () => {
    refuses(new Uint8Array(0), /bad\.onnx is empty \(0 bytes\)/);
  });

  it('every truncation of the file is refused', () => {
    // Cut points spread over the file, including inside the header and inside the weights.
    for (const cut of [1, 2, 7, 16, 64, 200, 1000, bytes.length >> 1, bytes.length - 100, bytes.length - 1]) {
      refuses(bytes.subarray(0, cut), /bad\.onnx/);
    }
  });

  it('random bytes are not an ONNX model', () => {
    for (const seed of [1, 2, 3]) {
      const junk = Uint8Array.from(seededNumbers(4096, seed, 0, 256), (v) => Math.floor(v));
      refuses(junk, /bad\.onnx (is not a valid ONNX protobuf|: ir_version|: opset_import|: has no graph)/);
    }
  });

  it('a PNG header is not an ONNX model', () => {
    refuses(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), /bad\.onnx/);
  });
});

describe('initializers that lie about their size', () => {
  it('raw_data shorter than the dims say', () => {
    const b = edited((m) => (initializer(m, 'conv1.weight').dims = [8, 1, 3, 4]));
    refuses(
      b,
      /initializer 'conv1\.weight': raw_data has 288 bytes but dims \[8, 1, 3, 4\] of float need 384 \(96 × 4\)/,
    );
  });

  it('raw_data longer than the dims say', () => {
    const b = edited((m) => (initializer(m, 'head.bias').dims = [9]));
    refuses(b, /initializer 'head\.bias': raw_data has 40 bytes but dims \[9\] of float need 36/);
  });

  it('float_data with fewer values than the dims say', () => {
    const b = edited((m) => {
      const t = initializer(m, 'head.bias');
      t.rawData = new Uint8Array(0);
      t.floatData = [1, 2, 3];
    });
    refuses(b, /initializer 'head\.bias': float_data has 3 values but dims \[10\] of float need 10/);
  });

  it('int64_data for an int64 initializer with a wrong count', () => {
    const b = edited((m) => m.graph!.initializer!.push({ name: 'ids', dataType: 7, dims: [4], int64Data: [1, 2] }));
    refuses(b, /initializer 'ids': int64_data has 2 values but dims \[4\] of int64 need 4/);
  });

  it('a negative dim and a dim product beyond int32 indexing', () => {
    refuses(
      edited((m) => (initializer(m, 'head.bias').dims = [-10])),
      /initializer 'head\.bias': dims\[0\] is -10, not a size/,
    );
    refuses(
      edited((m) => (initializer(m, 'head.bias').dims = [1 << 20, 1 << 20])),
      /initializer 'head\.bias': dims \[1048576, 1048576\] hold more than 2147483647 elements/,
    );
  });

  it('both raw_data and float_data', () => {
    const b = edited((m) => (initializer(m, 'head.bias').floatData = new Array<number>(10).fill(0)));
    refuses(b, /initializer 'head\.bias': both raw_data and float_data hold values/);
  });

  it('weights in an external file are refused with the way to embed them', () => {
    const b = edited((m) => {
      const t = initializer(m, 'head.weight');
      t.rawData = new Uint8Array(0);
      t.dataLocation = 1;
      t.externalData = [{ key: 'location', value: 'weights.bin' }];
    });
    refuses(
      b,
      /initializer 'head\.weight': data_location is EXTERNAL \(file 'weights\.bin'\).*save_as_external_data=False/,
    );
  });

  it('a string initializer, and an unknown data type', () => {
    refuses(
      edited((m) => (initializer(m, 'head.bias').dataType = 8)),
      /initializer 'head\.bias': data_type 8 \(string\) is not a numeric type/,
    );
    refuses(
      edited((m) => (initializer(m, 'head.bias').dataType = 99)),
      /initializer 'head\.bias': data_type 99 \(type 99\)/,
    );
  });

  it('a large int64 initializer outside int32, after float weights were placed: those are freed again', () => {
    const b = edited((m) => {
      const values = new BigInt64Array(5000).fill(1n);
      values[4321] = 1n << 40n;
      m.graph!.initializer!.push({
        name: 'big_ids',
        dataType: 7,
        dims: [5000],
        rawData: new Uint8Array(values.buffer),
      });
    });
    refuses(b, /'big_ids' holds 1099511627776 at index 4321, outside int32/);
  });
});

describe('graphs that are not well formed', () => {
  it('a node reading a value nothing produced names the node and the value', () => {
    const b = edited((m) => (m.graph!.node![1].input = ['/nowhere']));
    refuses(
      b,
      /bad\.onnx: Relu node '\/Relu': input '\/nowhere' is not a graph input, an initializer or an output of an earlier node/,
    );
  });

  it('a value produced twice', () => {
    const b = edited((m) => (m.graph!.node![1].output = [m.graph!.node![0].output![0]]));
    refuses(b, /Relu node '\/Relu': output '\/conv1\/Conv_output_0' is already defined/);
  });

  it('an attribute of the wrong kind', () => {
    const b = edited((m) => {
      const gemm = m.graph!.node!.find((n) => n.opType === 'Gemm')!;
      gemm.attribute!.find((a) => a.name === 'alpha')!.type = 2;
    });
    refuses(b, /Gemm node '\/head\/Gemm': attribute 'alpha' must be float, got int/);
  });

  it('a node with too few inputs', () => {
    const b = edited((m) => (m.graph!.node!.find((n) => n.opType === 'Gemm')!.input = ['/Flatten_output_0']));
    refuses(b, /Gemm node '\/head\/Gemm': has 1 inputs; Gemm takes 2 to 3/);
  });

  it('no default-domain opset, and a missing graph', () => {
    refuses(
      edited((m) => (m.opsetImport = [{ domain: 'com.example', version: 1 }])),
      /opset_import has no entry for the default ONNX domain/,
    );
    refuses(
      edited((m) => (m.graph = null)),
      /bad\.onnx: has no graph/,
    );
  });
});

describe('unsupported operators', () => {
  it('are all reported at once, with the nodes that use them', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 1, [2, 3]);
    const a = b.node('NonZero', [x], 'nz');
    const c = b.node('TopK', [x, b.int64s('k', [1])], 'topk');
    const d = b.node('NonZero', [c], 'nz2');
    const e = b.node('FusedMatMul', [x, x], 'fused');
    const f = b.node('MaxPool', [x], 'pool', { kernel_shape: { ints: [2, 2] }, dilations: { ints: [2, 2] } });
    const g = b.node('Relu', [x], 'relu', { unknown_flag: { i: 1 } });
    b.output(b.node('Sum', [a, d, e, f, g], 'sum'), 'y', 1, [2, 3]);
    // The custom op gets its own domain: a node field the builder leaves empty.
    const bytes = b.encode({ opset: 13, producer: 'test', graphName: 'g' });
    const proto = decodeModelProto(bytes, 'g');
    proto.graph!.node!.find((n) => n.opType === 'FusedMatMul')!.domain = 'com.microsoft';
    const e1 = refuses(
      encodeModelProto(proto),
      /uses 5 operators or features tsdl does not support/,
    ) as OnnxUnsupportedError;
    expect(e1).toBeInstanceOf(OnnxUnsupportedError);
    expect(e1.operators).toEqual([
      'NonZero',
      'TopK',
      'com.microsoft.FusedMatMul',
      'MaxPool with dilations',
      "Relu with attribute 'unknown_flag'",
    ]);
    expect(e1.unsupported[0].nodes).toEqual(['nz', 'nz2']);
    expect(e1.message).toMatch(/NonZero \(2 nodes: 'nz', 'nz2'\); TopK \(1 node: 'topk'\)/);
  });

  it('an opset newer than tsdl reads is reported with them', () => {
    const b = edited((m) => (m.opsetImport![0].version = 21));
    refuses(b, /opset 21 of the default domain \(tsdl reads 7 to 18\)/);
  });
});

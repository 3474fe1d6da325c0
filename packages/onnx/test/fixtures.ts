import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Tensor, tensor } from '@tsdl/tensor';

/** The committed exports of test/fixtures/make_onnx_fixtures.py and PyTorch's outputs on fixed inputs. */
export interface Fixture {
  opset: number;
  ops: string[];
  inputs: Record<string, { shape: number[]; dtype: 'float32' | 'int64'; data: number[] }>;
  outputs: Record<string, { shape: number[]; data: number[] }>;
}

export const FIXTURES = [
  'mlp',
  'cnn',
  'lstm',
  'gru',
  'transformer_dynamic',
  'transformer_static',
  'ops_opset11',
  'ops_opset16',
  'rnn_variants',
  'packed_rnn',
] as const;
export type FixtureName = (typeof FIXTURES)[number];

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(dir, `${name}.onnx`)));
}

export function fixture(name: FixtureName): Fixture {
  return JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Fixture;
}

/** The fixture's inputs as tensors on the active backend (int64 as int32). */
export function fixtureInputs(f: Fixture): Record<string, Tensor> {
  return Object.fromEntries(
    Object.entries(f.inputs).map(([name, v]) => [
      name,
      v.dtype === 'int64'
        ? tensor(Int32Array.from(v.data), v.shape, 'int32')
        : tensor(Float32Array.from(v.data), v.shape, 'float32'),
    ]),
  );
}

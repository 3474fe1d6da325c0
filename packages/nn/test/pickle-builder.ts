import { zipSync } from 'fflate';

/**
 * Hand-made pickles and torch.save-style zips for the reader's error tests:
 * each helper emits one opcode's bytes (protocol 2 encodings, as torch writes).
 */

const enc = new TextEncoder();
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

export const op = {
  proto: (): number[] => [0x80, 2],
  stop: (): number[] => [0x2e],
  mark: (): number[] => [0x28],
  tuple: (): number[] => [0x74],
  emptyTuple: (): number[] => [0x29],
  emptyDict: (): number[] => [0x7d],
  setitem: (): number[] => [0x73],
  setitems: (): number[] => [0x75],
  reduce: (): number[] => [0x52],
  build: (): number[] => [0x62],
  persid: (): number[] => [0x51],
  newFalse: (): number[] => [0x89],
  none: (): number[] => [0x4e],
  int: (n: number): number[] => [0x4a, ...u32(n)],
  str: (s: string): number[] => {
    const b = enc.encode(s);
    return [0x58, ...u32(b.length), ...b];
  },
  global: (module: string, name: string): number[] => [0x63, ...enc.encode(`${module}\n${name}\n`)],
  stackGlobal: (module: string, name: string): number[] => [...op.str(module), ...op.str(name), 0x93],
  /** (a, b, …) from already-encoded items. */
  tupleOf: (...items: number[][]): number[] => [0x28, ...items.flat(), 0x74],
};

/** `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())`. */
export function tensorOps(
  type: string,
  key: string,
  numel: number,
  offset: number,
  size: number[],
  stride: number[],
): number[] {
  return [
    ...op.global('torch._utils', '_rebuild_tensor_v2'),
    ...op.tupleOf(
      [
        ...op.tupleOf(op.str('storage'), op.global('torch', type), op.str(key), op.str('cpu'), op.int(numel)),
        ...op.persid(),
      ],
      op.int(offset),
      op.tupleOf(...size.map(op.int)),
      op.tupleOf(...stride.map(op.int)),
      op.newFalse(),
      [...op.global('collections', 'OrderedDict'), ...op.emptyTuple(), ...op.reduce()],
    ),
    ...op.reduce(),
  ];
}

/** An OrderedDict pickle of name → encoded value. */
export function stateDictPickle(entries: [string, number[]][]): Uint8Array {
  return Uint8Array.from([
    ...op.proto(),
    ...op.global('collections', 'OrderedDict'),
    ...op.emptyTuple(),
    ...op.reduce(),
    ...op.mark(),
    ...entries.flatMap(([k, v]) => [...op.str(k), ...v]),
    ...op.setitems(),
    ...op.stop(),
  ]);
}

/** A torch.save-style archive (stored entries) under `prefix`. */
export function torchZip(
  pickle: Uint8Array,
  storages: Record<string, Uint8Array> = {},
  options: { prefix?: string; byteorder?: string } = {},
): Uint8Array {
  const prefix = options.prefix ?? 'archive';
  const files: Record<string, Uint8Array> = { [`${prefix}/data.pkl`]: pickle };
  for (const [k, v] of Object.entries(storages)) files[`${prefix}/data/${k}`] = v;
  if (options.byteorder !== undefined) files[`${prefix}/byteorder`] = enc.encode(options.byteorder);
  files[`${prefix}/version`] = enc.encode('3\n');
  return zipSync(files, { level: 0 });
}

export const f32bytes = (values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

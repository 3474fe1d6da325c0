import { DataFormatError } from '@tsdl/tensor';
import { int64 } from '../int64';
import type { AttributeProto } from '../proto/types';
import { decodeTensorProto, type HostArray } from '../tensor-proto';

export type AttrKind = 'float' | 'int' | 'string' | 'tensor' | 'floats' | 'ints' | 'strings' | 'graph' | 'other';

export type AttrValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: HostArray }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'graph' | 'other'; value: null };

// AttributeProto.AttributeType
const KINDS: Record<number, AttrKind> = {
  1: 'float',
  2: 'int',
  3: 'string',
  4: 'tensor',
  5: 'graph',
  6: 'floats',
  7: 'ints',
  8: 'strings',
  9: 'other',
  10: 'graph',
  11: 'other',
  12: 'other',
  13: 'other',
  14: 'other',
};

const utf8 = new TextDecoder('utf-8', { fatal: false });
const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** The kind an attribute declares, or, for files that leave `type` unset (old exporters), the field that holds a value. */
function kindOf(a: AttributeProto): AttrKind | undefined {
  if (a.type) return KINDS[a.type];
  if (a.t) return 'tensor';
  if (a.g) return 'graph';
  if (a.floats?.length) return 'floats';
  if (a.ints?.length) return 'ints';
  if (a.strings?.length) return 'strings';
  if (a.s?.length) return 'string';
  if (own(a, 'i')) return 'int';
  if (own(a, 'f')) return 'float';
  return undefined;
}

/** Decodes a node's attributes (tensors checked as initializers are), refusing duplicates and unknown types. */
export function decodeAttributes(list: readonly AttributeProto[], where: string): Map<string, AttrValue> {
  const out = new Map<string, AttrValue>();
  for (const a of list) {
    const name = a.name ?? '';
    if (!name) throw new DataFormatError(`${where}: an attribute has no name`);
    if (out.has(name)) throw new DataFormatError(`${where}: attribute '${name}' is given twice`);
    if (a.refAttrName)
      throw new DataFormatError(
        `${where}: attribute '${name}' refers to a function attribute ('${a.refAttrName}'), which only functions may do`,
      );
    const kind = kindOf(a);
    if (!kind)
      throw new DataFormatError(
        `${where}: attribute '${name}' has type ${a.type ?? 'unset'}, not an ONNX attribute type`,
      );
    const at = `${where}: attribute '${name}'`;
    switch (kind) {
      case 'float':
        out.set(name, { kind, value: a.f ?? 0 });
        break;
      case 'int':
        out.set(name, { kind, value: int64(a.i) });
        break;
      case 'string':
        out.set(name, { kind, value: utf8.decode(a.s ?? new Uint8Array()) });
        break;
      case 'tensor':
        if (!a.t) throw new DataFormatError(`${at}: has type TENSOR but no tensor`);
        out.set(name, { kind, value: decodeTensorProto(a.t, at) });
        break;
      case 'floats':
        out.set(name, { kind, value: [...(a.floats ?? [])] });
        break;
      case 'ints':
        out.set(name, { kind, value: (a.ints ?? []).map(int64) });
        break;
      case 'strings':
        out.set(name, { kind, value: (a.strings ?? []).map((s) => utf8.decode(s)) });
        break;
      default:
        out.set(name, { kind, value: null });
    }
  }
  return out;
}

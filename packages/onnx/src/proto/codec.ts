import * as protobuf from 'protobufjs/light.js';
import { DataFormatError } from '@tsdl/tensor';
import { ONNX_SCHEMA } from './onnx-schema';
import type { ModelProto } from './types';

/**
 * ONNX's ModelProto through protobufjs, from the JSON descriptor generated from
 * ONNX's own schema (scripts/generate-schema.mjs): a maintained protobuf decoder
 * and encoder, no hand-written wire format. Built once, on first use.
 */
let modelType: protobuf.Type | null = null;

function modelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace).lookupType('onnx.ModelProto');
  return modelType;
}

/** Decodes a ModelProto. Malformed protobuf (a truncated file, a bad wire type, a length past the end) is a DataFormatError naming the file. */
export function decodeModelProto(bytes: Uint8Array, source: string): ModelProto {
  if (bytes.length === 0) throw new DataFormatError(`loadOnnx: ${source} is empty (0 bytes), not an ONNX model`);
  try {
    return modelProto().decode(bytes) as unknown as ModelProto;
  } catch (e) {
    // protobufjs throws RangeError for data that ends inside a field and Error for a bad wire
    // type; deep nesting can overflow the stack. Each means the bytes are not a ModelProto.
    const why = e instanceof Error ? e.message : String(e);
    throw new DataFormatError(
      `loadOnnx: ${source} is not a valid ONNX protobuf (${why}); the file may be truncated or not an ONNX model`,
    );
  }
}

/** Encodes a ModelProto given as a plain object with the decoded field names. */
export function encodeModelProto(model: ModelProto): Uint8Array {
  const type = modelProto();
  const problem = type.verify(model as Record<string, unknown>);
  if (problem) throw new DataFormatError(`exportOnnx: the model does not fit ONNX's ModelProto: ${problem}`);
  return type.encode(type.fromObject(model as Record<string, unknown>)).finish();
}

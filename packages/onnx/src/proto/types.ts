/**
 * The fields of ONNX's protobuf messages that tsdl reads or writes, as protobufjs
 * decodes them (camelCase names, see onnx-schema.ts). int64 fields arrive as
 * protobufjs' Long objects (or numbers where they fit); `int64.ts` converts them.
 * Everything is optional: a decoded message holds only what the file said.
 */
export type Int64 = number | { low: number; high: number; unsigned?: boolean; toNumber(): number; toString(): string };

export interface OperatorSetIdProto {
  domain?: string;
  version?: Int64;
}

export interface StringStringEntryProto {
  key?: string;
  value?: string;
}

export interface TensorProto {
  dims?: Int64[];
  dataType?: number;
  segment?: { begin?: Int64; end?: Int64 } | null;
  floatData?: number[];
  int32Data?: number[];
  stringData?: Uint8Array[];
  int64Data?: Int64[];
  name?: string;
  docString?: string;
  rawData?: Uint8Array;
  externalData?: StringStringEntryProto[];
  dataLocation?: number;
  doubleData?: number[];
  uint64Data?: Int64[];
}

export interface AttributeProto {
  name?: string;
  refAttrName?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto | null;
  g?: GraphProto | null;
  sparseTensor?: unknown;
  tp?: unknown;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
  sparseTensors?: unknown[];
  typeProtos?: unknown[];
}

export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: AttributeProto[];
  docString?: string;
}

export interface DimensionProto {
  dimValue?: Int64 | null;
  dimParam?: string | null;
  denotation?: string;
}

export interface TypeProto {
  tensorType?: { elemType?: number; shape?: { dim?: DimensionProto[] } | null } | null;
  sequenceType?: unknown;
  mapType?: unknown;
  optionalType?: unknown;
  sparseTensorType?: unknown;
  denotation?: string;
}

export interface ValueInfoProto {
  name?: string;
  type?: TypeProto | null;
  docString?: string;
}

export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  sparseInitializer?: unknown[];
  docString?: string;
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
}

export interface ModelProto {
  irVersion?: Int64;
  opsetImport?: OperatorSetIdProto[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  docString?: string;
  graph?: GraphProto | null;
  metadataProps?: StringStringEntryProto[];
  trainingInfo?: unknown[];
  functions?: unknown[];
}

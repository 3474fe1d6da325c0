import { DataFormatError } from '@tsdl/tensor';
import type { StDType } from './safetensors';

/**
 * A restricted unpickler for what `torch.save(model.state_dict())` writes,
 * in the spirit of `torch.load(weights_only=True)`: it builds only plain data
 * (None, bools, ints, floats, strings, tuples, lists, dicts), OrderedDicts,
 * tensors (`torch._utils._rebuild_tensor_v2` / `_rebuild_parameter`) and
 * storage references (persistent ids naming a torch storage type). Any other
 * class named by GLOBAL is refused right there, before anything could call it,
 * and REDUCE / BUILD accept only those few callables and targets, so a
 * pickle that tries to reach `os.system` or `builtins.eval` is a
 * DataFormatError naming the class and nothing runs. Nothing here executes
 * code from the file: Python's semantics are re-implemented for the allowed
 * cases only.
 */

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
export class PyList {
  constructor(readonly items: PyValue[]) {}
}
export class PyFloat {
  constructor(readonly value: number) {}
}
/** dict or collections.OrderedDict; keys are the hashable scalars a state dict uses. */
export class PyDict {
  readonly entries = new Map<PyKey, PyValue>();
  /** Attributes set by BUILD (an OrderedDict's `_metadata`). */
  readonly attrs = new Map<string, PyValue>();
  constructor(readonly ordered: boolean) {}
}
/** A class or function the file named with GLOBAL and the allow-list accepted. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}
/** A storage a persistent id refers to; its bytes live outside the pickle. */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: StDType,
    /** Elements of `dtype` it holds. */
    readonly numel: number,
    readonly typeName: string,
  ) {}
}
/** `_rebuild_tensor_v2(storage, offset, size, stride, …)`: a strided view of a storage. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly strides: number[],
  ) {}
}

export type PyKey = string | number | bigint | boolean | null;
export type PyValue = PyKey | PyTuple | PyList | PyFloat | PyDict | PyGlobal | StorageRef | TensorRef;

/** Torch's storage classes and the element type of their bytes (`UntypedStorage` is bytes). */
export const STORAGE_DTYPES: Record<string, StDType> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
  UntypedStorage: 'U8',
};

const ALLOWED_CALLS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
]);

/** Whether `module.name` is one of the globals a state dict needs; storage types under torch, torch.cuda (old GPU saves) and torch.storage. */
function allowedGlobal(module: string, name: string): boolean {
  if (ALLOWED_CALLS.has(`${module}.${name}`)) return true;
  if (!Object.hasOwn(STORAGE_DTYPES, name)) return false;
  return module === 'torch' || module === 'torch.cuda' || (module === 'torch.storage' && name === 'UntypedStorage');
}

export interface UnpickleOptions {
  /** Names the file (and record) in errors. */
  source: string;
  /** Turns a persistent id (BINPERSID) into a value; without it persistent ids are refused. */
  persistentLoad?: (pid: PyValue, at: number) => PyValue;
  /** Where the pickle starts (the legacy format holds several in a row). */
  start?: number;
}

/** A Python type name for messages. */
export function pyTypeName(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof PyFloat) return 'float';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyList) return 'list';
  if (v instanceof PyDict) return v.ordered ? 'OrderedDict' : 'dict';
  if (v instanceof PyGlobal) return v.qualified;
  if (v instanceof StorageRef) return `torch.${v.typeName}`;
  return 'Tensor';
}

/** "a dict", "an OrderedDict", "an int": the type with its article, for messages. */
export function aPyType(v: PyValue): string {
  const name = pyTypeName(v);
  return `${/^[aeiouAEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

/**
 * Reads one pickle from `bytes` (protocols 2 to 5, the opcodes plain data and
 * torch use) and returns its value and the offset just past its STOP.
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): { value: PyValue; end: number } {
  const { source, persistentLoad } = options;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = options.start ?? 0;
  let op = 0; // offset of the opcode being run, for messages
  const stack: Slot[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  const fail = (what: string): never => {
    throw new DataFormatError(`${source}: pickle opcode at byte ${op}: ${what}`);
  };
  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.length)
      fail(`needs ${n} more bytes but the data ends at byte ${bytes.length} (truncated)`);
    const at = pos;
    pos += n;
    return at;
  };
  const pop = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]))
      fail('pops an empty stack');
    const v = stack.pop() as Slot;
    if (v === MARK) fail('pops a mark');
    return v as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0 || stack[stack.length - 1] === MARK) fail('needs a value on the stack');
    return stack[stack.length - 1] as PyValue;
  };
  const popMark = (): PyValue[] => {
    if (marks.length === 0) fail('needs a MARK that was never pushed');
    const at = marks.pop() as number;
    // stack[at] is the MARK itself.
    return stack.splice(at).slice(1) as PyValue[];
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('a text argument has no newline (truncated)');
    const s = new TextDecoder().decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const text = (n: number): string => {
    const at = need(n);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(at, at + n));
    } catch {
      return fail('a string is not valid UTF-8');
    }
  };
  const key = (k: PyValue): PyKey => {
    if (k === null || typeof k !== 'object') return k;
    return fail(`a dict key of type ${pyTypeName(k)}; state dicts use strings and numbers`);
  };
  const setItems = (d: PyValue, items: PyValue[]): void => {
    if (!(d instanceof PyDict)) fail(`SETITEM(S) on ${aPyType(d)}, not a dict`);
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (d as PyDict).entries.set(key(items[i]), items[i + 1]);
  };
  const append = (l: PyValue, items: PyValue[]): void => {
    if (!(l instanceof PyList)) fail(`APPEND(S) on ${aPyType(l)}, not a list`);
    (l as PyList).items.push(...items);
  };
  const global = (module: string, name: string): PyGlobal => {
    if (!allowedGlobal(module, name)) {
      fail(
        `refuses the global ${module}.${name}: a state dict holds only tensors, their storages, OrderedDicts and plain data ` +
          '(torch.load(weights_only=True) refuses it too); the file may be malicious or hold more than weights',
      );
    }
    return new PyGlobal(module, name);
  };
  const memoPut = (i: number): void => {
    memo.set(i, top());
  };
  const memoGet = (i: number): void => {
    if (!memo.has(i)) fail(`reads memo ${i}, which was never stored`);
    stack.push(memo.get(i) as PyValue);
  };

  for (;;) {
    op = pos;
    const code = bytes[need(1)];
    switch (code) {
      case 0x80: // PROTO
        if (bytes[need(1)] > 5) fail(`pickle protocol ${bytes[pos - 1]} is newer than 5`);
        break;
      case 0x95: // FRAME (protocol 4): a length hint only
        need(8);
        break;
      case 0x2e: // STOP
        if (marks.length !== 0) fail('STOP inside a MARK that was never closed');
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack instead of one`);
        return { value: stack[0] as PyValue, end: pos };
      case 0x28: // MARK
        marks.push(stack.length);
        stack.push(MARK);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(bytes[need(1)]);
        break;
      case 0x4d: // BININT2
        stack.push(dv.getUint16(need(2), true));
        break;
      case 0x4a: // BININT
        stack.push(dv.getInt32(need(4), true));
        break;
      case 0x8a: {
        // LONG1: a little-endian two's-complement integer of n bytes
        const n = bytes[need(1)];
        const at = need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
        if (n > 0 && bytes[at + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT: big-endian float64
        stack.push(new PyFloat(dv.getFloat64(need(8), false)));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(dv.getUint32(need(4), true)));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(bytes[need(1)]));
        break;
      case 0x8d: {
        // BINUNICODE8
        // A length past the data (any 2^53-scale claim included) fails in need() before anything is allocated.
        stack.push(text(Number(dv.getBigUint64(need(8), true))));
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push(new PyList([]));
        break;
      case 0x6c: // LIST
        stack.push(new PyList(popMark()));
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict(false));
        break;
      case 0x64: {
        // DICT
        const d = new PyDict(false);
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memoPut(bytes[need(1)]);
        break;
      case 0x72: // LONG_BINPUT
        memoPut(dv.getUint32(need(4), true));
        break;
      case 0x94: // MEMOIZE
        memoPut(memo.size);
        break;
      case 0x68: // BINGET
        memoGet(bytes[need(1)]);
        break;
      case 0x6a: // LONG_BINGET
        memoGet(dv.getUint32(need(4), true));
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!persistentLoad) fail('a persistent id where none is expected');
        stack.push((persistentLoad as NonNullable<UnpickleOptions['persistentLoad']>)(pid, op));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(reduce(fn, args, fail));
        break;
      }
      case 0x62: {
        // BUILD: only an OrderedDict's attributes (torch keeps `_metadata` there)
        const state = pop();
        const target = top();
        if (!(target instanceof PyDict) || !target.ordered || !(state instanceof PyDict)) {
          fail(`BUILD on ${aPyType(target)} with ${aPyType(state)}; only an OrderedDict's attributes are read`);
        }
        for (const [k, v] of (state as PyDict).entries) {
          if (typeof k !== 'string') fail('BUILD sets an attribute whose name is not a string');
          (target as PyDict).attrs.set(k as string, v);
        }
        break;
      }
      default:
        fail(
          `unsupported opcode 0x${code.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(code))}); a state dict needs only plain data, OrderedDicts and tensors`,
        );
    }
  }
}

const isIndex = (v: PyValue): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function indexTuple(v: PyValue, what: string, fail: (w: string) => never): number[] {
  if (!(v instanceof PyTuple) || !v.items.every(isIndex))
    fail(`_rebuild_tensor_v2's ${what} must be a tuple of non-negative integers, got ${pyTypeName(v)}`);
  return (v as PyTuple).items as number[];
}

/** Calls one of the allowed callables with its pickled arguments. */
function reduce(fn: PyValue, args: PyValue, fail: (w: string) => never): PyValue {
  if (!(fn instanceof PyGlobal)) return fail(`REDUCE calls ${aPyType(fn)}, which is not callable here`);
  if (!ALLOWED_CALLS.has(fn.qualified)) return fail(`REDUCE calls ${fn.qualified}, which a state dict never needs`);
  if (!(args instanceof PyTuple))
    return fail(`REDUCE of ${fn.qualified} with ${aPyType(args)} instead of an argument tuple`);
  const a = args.items;
  const noHooks = (h: PyValue): boolean => h instanceof PyDict && h.entries.size === 0;
  switch (fn.qualified) {
    case 'collections.OrderedDict':
      if (a.length !== 0) fail('collections.OrderedDict is called with arguments; torch calls it with none');
      return new PyDict(true);
    case 'torch._utils._rebuild_tensor_v2': {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.length < 6 || a.length > 7) fail(`_rebuild_tensor_v2 takes 6 or 7 arguments, got ${a.length}`);
      if (!(a[0] instanceof StorageRef)) fail(`_rebuild_tensor_v2's storage is ${aPyType(a[0])}, not a storage`);
      if (!isIndex(a[1])) fail("_rebuild_tensor_v2's storage_offset must be a non-negative integer");
      const shape = indexTuple(a[2], 'size', fail);
      const strides = indexTuple(a[3], 'stride', fail);
      if (shape.length !== strides.length)
        fail(`_rebuild_tensor_v2: size has ${shape.length} dimensions but stride ${strides.length}`);
      if (typeof a[4] !== 'boolean') fail("_rebuild_tensor_v2's requires_grad must be a bool");
      if (!noHooks(a[5])) fail('_rebuild_tensor_v2 has backward hooks, which a state dict never holds');
      if (a.length === 7 && a[6] !== null && !(a[6] instanceof PyDict))
        fail("_rebuild_tensor_v2's metadata must be None or a dict");
      return new TensorRef(a[0] as StorageRef, a[1] as number, shape, strides);
    }
    case 'torch._utils._rebuild_parameter':
      // (data, requires_grad, backward_hooks): a Parameter is its tensor here
      if (a.length !== 3 || !(a[0] instanceof TensorRef) || typeof a[1] !== 'boolean' || !noHooks(a[2])) {
        fail('_rebuild_parameter takes (tensor, requires_grad, {}), got something else');
      }
      return a[0];
    default:
      return fail(`REDUCE calls ${fn.qualified}`);
  }
}

import { ArgumentError } from '@tsdl/tensor';

/**
 * Reporting an index or class label outside its range that only the GPU saw.
 *
 * The frontend checks indices and labels whose values it knows without a read
 * (tensor's ops/index-range.ts); int32 values computed on the GPU (a cast of
 * float labels, `add(labels, 1)`) reach the kernels unchecked. A kernel that
 * takes an index writes something defined for a bad one (NaN, 0, nothing) and
 * records it in a small status buffer of the device: the first bad index since
 * the status was last read wins and names its op, the value and the range. An
 * op whose indices no kernel takes (oneHot, nn's nllLoss) has them checked by
 * a kernel of their own (`checkIndices`, kernels/check-indices.ts).
 * The runtime copies the status back inside every read it already does (the
 * same submit and the same mapping, so no extra round trip), clears it in that
 * submit, and the read throws an ArgumentError instead of returning data.
 */

/** Words of the status buffer: reporter code (0: nothing found), the bad value (i32 bits), the range's end, unused. */
export const INDEX_STATUS_WORDS = 4;
export const INDEX_STATUS_BYTES = INDEX_STATUS_WORDS * 4;

/** What a status code stands for: the op it reports, what it calls the value, and a value it allowed. */
interface Reporter {
  readonly op: string;
  readonly what: 'label' | 'index';
  readonly ignore: number | undefined;
}

/** Reporters by code − 1; codes are handed out on first use and never reused, so any op can report. */
const reporters: Reporter[] = [];
const codes = new Map<string, number>();

/**
 * The code under which a bad value found for `op` is recorded (never 0): one per op, noun
 * and allowed `ignore` value, the same for the life of the process, so a kernel may compile
 * it in (gather) or take it as a parameter (checkIndices, which runs for any op).
 */
export function indexStatusCode(op: string, what: 'label' | 'index' = 'index', ignore?: number): number {
  const key = `${what} ${ignore ?? ''} ${op}`;
  let code = codes.get(key);
  if (code === undefined) {
    reporters.push({ op, what, ignore });
    code = reporters.length;
    codes.set(key, code);
  }
  return code;
}

/**
 * WGSL declaring the status buffer at `binding` and `badIndex_(code, value, end)`,
 * which records value ∉ [0, end) under `code` (indexStatusCode) unless a bad value is already
 * recorded. The claim is a compare-and-swap of word 0 from 0, so of any number of
 * invocations exactly one writes the other words; the load first keeps the cost of
 * a tensor full of bad indices to one atomic read each.
 */
export function indexStatusWgsl(binding: number): string {
  return /* wgsl */ `
@group(0) @binding(${binding}) var<storage, read_write> status_: array<atomic<u32>, ${INDEX_STATUS_WORDS}>;
fn badIndex_(code: u32, value: i32, end: u32) {
  if (atomicLoad(&status_[0]) != 0u) { return; }
  loop {
    // Weak: it may fail spuriously with word 0 still 0, so retry until it or another invocation wins.
    let r = atomicCompareExchangeWeak(&status_[0], 0u, code);
    if (r.exchanged) {
      atomicStore(&status_[1], bitcast<u32>(value));
      atomicStore(&status_[2], end);
      return;
    }
    if (r.old_value != 0u) { return; }
  }
}
`;
}

/** The error a status read back from the device reports, or null when it holds none. */
export function indexStatusError(words: Uint32Array): ArgumentError | null {
  const code = words[0];
  if (code === 0) return null;
  const found = reporters[code - 1] ?? { op: `kernel ${code}`, what: 'index', ignore: undefined };
  const value = words[1] | 0;
  const end = words[2];
  const [article, plural] = found.what === 'label' ? ['a', 'labels'] : ['an', 'indices'];
  const besides = found.ignore === undefined ? '' : ` other than ${found.ignore}`;
  return new ArgumentError(
    `${found.op}: ${article} ${found.what} outside [0, ${end})${besides} was found on the GPU: ${value} ` +
      `(${plural} computed on the device are checked when a result is read, so this read reports it)`,
  );
}

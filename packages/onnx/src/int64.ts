import { DataFormatError } from '@tsdl/tensor';
import type { Int64 } from './proto/types';

/**
 * A protobuf int64 (protobufjs' Long, or a number) as a JS number. Values beyond
 * 2^53 lose precision, which only matters for sentinels such as INT64_MAX in a
 * Slice's ends (meaning "to the end"), where the rounded value clamps the same.
 */
export function int64(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  return v.toNumber();
}

/** An int64 that must be an exact integer in JS's safe range: a size, a count, an axis. */
export function safeInt(v: Int64 | null | undefined, where: string): number {
  const n = int64(v);
  if (!Number.isSafeInteger(n))
    throw new DataFormatError(
      `${where}: ${typeof v === 'object' && v ? v.toString() : String(n)} is beyond the integers tsdl handles exactly (|n| < 2^53)`,
    );
  return n;
}

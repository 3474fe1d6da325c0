import { zlibModule } from '#node-only';
import { DataFormatError } from '@tsdl/tensor';

/** True for gzip data (magic 1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates gzip data a chunk at a time, handing each chunk to `take` as it
 * arrives, in Node (zlib) or browsers (DecompressionStream). `take` may throw
 * to stop: inflation ends there, so a file that inflates far past what its
 * reader needs (a decompression bomb) costs no more than one chunk beyond.
 * A corrupt or truncated stream is a DataFormatError naming `source`; what
 * `take` throws is passed on unchanged.
 */
export async function inflateChunks(
  bytes: Uint8Array,
  source: string,
  take: (chunk: Uint8Array) => void,
): Promise<void> {
  let stopped: { error: unknown } | undefined;
  const hand = (chunk: Uint8Array): boolean => {
    try {
      take(chunk);
      return true;
    } catch (error) {
      stopped = { error };
      return false;
    }
  };
  try {
    const zlib = typeof process !== 'undefined' && process.versions?.node ? await zlibModule() : null;
    if (zlib) {
      await new Promise<void>((resolve, reject) => {
        const g = zlib.createGunzip({ chunkSize: 64 * 1024 });
        g.on('data', (c: Buffer) => {
          if (!hand(new Uint8Array(c.buffer, c.byteOffset, c.length))) {
            g.destroy();
            resolve();
          }
        });
        g.on('error', reject);
        g.on('end', resolve);
        g.end(bytes);
      });
    } else {
      const reader = new Blob([bytes as Uint8Array<ArrayBuffer>])
        .stream()
        .pipeThrough(new DecompressionStream('gzip'))
        .getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!hand(value)) {
          await reader.cancel().catch(() => undefined);
          break;
        }
      }
    }
  } catch (e) {
    throw new DataFormatError(`${source}: corrupt gzip data (${(e as Error).message})`);
  }
  if (stopped) throw stopped.error;
}

/** Joins chunks into one array of `total` bytes. */
export function joinChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0].length === total) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    const part = c.subarray(0, total - at);
    out.set(part, at);
    at += part.length;
    if (at === total) break;
  }
  return out;
}

/**
 * Gunzips `bytes` in full. With `maxBytes`, stops and throws a DataFormatError
 * as soon as the output would pass it, without inflating the rest.
 */
export async function gunzip(bytes: Uint8Array, source: string, maxBytes = Infinity): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  await inflateChunks(bytes, source, (c) => {
    total += c.length;
    if (total > maxBytes) throw new DataFormatError(`${source}: inflates to more than ${maxBytes} bytes`);
    chunks.push(c);
  });
  return joinChunks(chunks, total);
}

/**
 * Turns an error into a sentence for the page. The library's errors already
 * name the op and the shapes; this adds what the person can do about the
 * common ones (a lost GPU, memory, a bad file).
 */
export function explain(e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const { name, message } = err;
  if (name === 'DeviceLostError' || /device (was )?lost/i.test(message)) {
    return `The GPU stopped working (its device was lost: ${message}). The playground switched to the CPU; press Train to start again.`;
  }
  if (name === 'GpuOutOfMemoryError' || /out of memory/i.test(message)) {
    return `The GPU ran out of memory (${message}). Try a smaller batch size or fewer training images.`;
  }
  if (err instanceof RangeError && /allocat|array buffer|invalid array length/i.test(message)) {
    return `The browser ran out of memory (${message}). Try fewer training images or close other tabs.`;
  }
  if (name === 'DataFormatError') return `The file could not be read: ${message}`;
  return message || name;
}

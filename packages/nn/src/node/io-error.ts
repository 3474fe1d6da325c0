import { DataFormatError } from '@tsdl/tensor';

/** A file-system failure as a DataFormatError naming the file, with the errno in words and the original as its cause. */
export function ioError(message: string, cause: unknown): DataFormatError {
  const code = (cause as { code?: unknown } | null)?.code;
  const detail =
    typeof code === 'string' ? `${code}: ${(cause as Error).message}` : String((cause as Error)?.message ?? cause);
  const err = new DataFormatError(`${message} (${detail})`);
  (err as { cause?: unknown }).cause = cause;
  return err;
}

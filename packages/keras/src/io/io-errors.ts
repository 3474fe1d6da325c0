import { DataFormatError } from '@tsdl/tensor';
import { errnoCode } from './model-fs';

/**
 * What an errno means to someone saving a model. A read-only disk must read as
 * such, not as the ENOENT or the bare message Node gives for some of them.
 */
const MEANING: Record<string, string> = {
  EROFS: 'the file system is read-only (EROFS)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'the operation is not permitted (EPERM)',
  ENOSPC: 'no space left on the device (ENOSPC)',
  EDQUOT: 'the disk quota is exceeded (EDQUOT)',
  EFBIG: 'the file is too large for the file system (EFBIG)',
  ENOTDIR: 'a part of the path is a file, not a directory (ENOTDIR)',
  EISDIR: 'a directory is in the way (EISDIR)',
  ENAMETOOLONG: 'the path is too long (ENAMETOOLONG)',
  ELOOP: 'the path has a symbolic-link loop (ELOOP)',
  EIO: 'an input/output error from the device (EIO)',
  EMFILE: 'too many open files (EMFILE)',
  ENOENT: 'no such file or directory (ENOENT)',
};

/** `e` in words: the errno's meaning, or the error's own message. */
export function describeIoError(e: unknown): string {
  const code = errnoCode(e);
  if (code && code in MEANING) return MEANING[code];
  return code ? `${code}: ${(e as Error).message}` : String((e as Error)?.message ?? e);
}

/** A DataFormatError for a file-system failure, keeping the original error as its cause. */
export function ioError(message: string, cause: unknown): DataFormatError {
  const err = new DataFormatError(`${message}: ${describeIoError(cause)}`);
  (err as { cause?: unknown }).cause = cause;
  return err;
}

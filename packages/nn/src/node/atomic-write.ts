import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ioError } from './io-error';

/** Errors of fsync on a directory where the platform cannot do it (Windows, some network file systems); the data is already safe. */
const NO_DIR_SYNC = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EBADF', 'ENOTSUP']);

async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    if (!NO_DIR_SYNC.has((e as { code?: string }).code ?? '')) throw e;
  } finally {
    await fh?.close();
  }
}

/**
 * Replaces `path` with `bytes` so that a reader or a crash sees the whole old
 * file or the whole new one: the bytes go to a fresh temporary beside it
 * (same directory, so the rename cannot cross file systems), are fsynced,
 * renamed over `path`, and the directory is fsynced so the rename lasts. A
 * failure removes the temporary and leaves `path` as it was.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, op: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, 'wx');
    // write() may write less than asked (a full disk reports it this way before ENOSPC).
    for (let at = 0; at < bytes.length; ) {
      const { bytesWritten } = await fh.write(bytes, at, bytes.length - at);
      if (bytesWritten <= 0) throw Object.assign(new Error(`wrote ${at} of ${bytes.length} bytes`), { code: 'ENOSPC' });
      at += bytesWritten;
    }
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
    await syncDir(dir);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw ioError(`${op}: cannot write ${path}`, e);
  }
}

import * as real from 'node:fs/promises';
import type { ModelFile, ModelFs } from '../src/io/model-fs';

/** One call the save or load made: what, on which path. */
export interface Call {
  op: string;
  path: string;
}

export interface Faults {
  /** Fail the call with this index (0-based, every call counted) … */
  failAt?: number;
  /** … with this errno code (default EIO; ENOSPC for a write). */
  code?: string;
  /** After failAt, fail every call, as a killed process makes none: nothing is cleaned up. */
  crash?: boolean;
  /** A disk with this many free bytes: writes past it are short, then ENOSPC. */
  freeBytes?: number;
  /** Fail every call whose op is listed (EROFS on open and mkdir: a read-only file system). */
  failOps?: Record<string, string>;
  /** Runs before each call (to race another save against a load). */
  before?: (call: Call) => Promise<void> | void;
}

export function errno(code: string, call: Call): Error {
  return Object.assign(new Error(`${code}: injected failure, ${call.op} '${call.path}'`), { code });
}

/**
 * Node's file system with faults injected at chosen calls, and a log of every
 * call (so tests can also check the order: data synced before the rename).
 */
export function faultyFs(faults: Faults = {}): { fs: ModelFs; calls: Call[] } {
  const calls: Call[] = [];
  let written = 0;
  let dead = false;
  async function gate(op: string, path: string): Promise<void> {
    const call = { op, path };
    const index = calls.length;
    calls.push(call);
    await faults.before?.(call);
    if (dead) throw errno('EKILLED', call);
    if (faults.failOps?.[op]) throw errno(faults.failOps[op], call);
    if (index === faults.failAt) {
      if (faults.crash) dead = true;
      throw errno(faults.code ?? (op === 'write' ? 'ENOSPC' : 'EIO'), call);
    }
  }
  const fs: ModelFs = {
    async mkdir(path) {
      await gate('mkdir', path);
      return real.mkdir(path);
    },
    async stat(path) {
      await gate('stat', path);
      return real.stat(path);
    },
    async statfs(path) {
      await gate('statfs', path);
      return real.statfs(path);
    },
    async open(path, flags) {
      await gate(`open ${flags}`, path);
      const h = await real.open(path, flags);
      const file: ModelFile = {
        async write(data, offset, length) {
          await gate('write', path);
          const room = faults.freeBytes === undefined ? length : Math.min(length, faults.freeBytes - written);
          if (room <= 0) throw errno('ENOSPC', { op: 'write', path });
          const r = await h.write(data, offset, room);
          written += r.bytesWritten;
          return r;
        },
        async sync() {
          await gate('sync', path);
          return h.sync();
        },
        async close() {
          try {
            await gate('close', path);
          } finally {
            // The descriptor is released even when the call "fails", as close(2) does.
            await h.close();
          }
        },
      };
      return file;
    },
    async rename(from, to) {
      await gate('rename', `${from} -> ${to}`);
      return real.rename(from, to);
    },
    async unlink(path) {
      await gate('unlink', path);
      return real.unlink(path);
    },
    async readdir(path) {
      await gate('readdir', path);
      return real.readdir(path);
    },
    async readFile(path) {
      await gate('readFile', path);
      return real.readFile(path);
    },
  };
  return { fs, calls };
}

/**
 * The file-system calls saving and loading make, as an interface so tests can
 * fail any one of them (a full disk after N bytes, a read-only file system, a
 * crash between two calls) without root, a tmpfs or a real disk. Node's
 * `fs/promises` satisfies it as it is.
 */

import { fsPromises } from '#node-only';

/** An open file: the calls a writer needs (Node's FileHandle has them). */
export interface ModelFile {
  write(data: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface ModelFs {
  /** Creates one directory (never recursive: Node's recursive mkdir spins forever under /proc). */
  mkdir(path: string): Promise<unknown>;
  stat(path: string): Promise<{ isDirectory(): boolean; size: number }>;
  /** The file system's type (Linux magic number), to refuse /proc and /sys; absent before Node 18.15. */
  statfs?(path: string): Promise<{ type: number }>;
  /** 'wx' creates a new file (never reuses a name); 'r' opens a directory to fsync it. */
  open(path: string, flags: 'wx' | 'r'): Promise<ModelFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  readFile(path: string): Promise<Uint8Array>;
}

/** Node's fs/promises, loaded on first use so the package still imports in browsers. */
export async function nodeFs(op = 'save'): Promise<ModelFs> {
  return (await fsPromises(op)) as unknown as ModelFs;
}

/** The errno code of a Node file-system error ('ENOENT', 'EROFS' …), or undefined. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

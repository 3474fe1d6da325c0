import { WG_INDEX } from '../wgsl';

/**
 * The two ways the row kernels (softmax, softmax cross-entropy) spread rows
 * over threads. Long rows: a workgroup of WG threads per row, each folding a
 * strided part, combined by shared-memory trees. Short rows (C ≤
 * ROW_THREAD_MAX, as the 10 classes of MNIST): one thread per row, looping
 * over it, with no shared memory and no barriers, so a batch of 32 rows is
 * 32 threads rather than 32 workgroups of mostly idle threads.
 */

export const WG = 64;
export const ROW_THREAD_MAX = 128;

export interface RowCode {
  /** Part of the kernel key. */
  readonly key: string;
  /** Module-scope declarations (the tree's shared array, if any). */
  readonly decls: string;
  /** WGSL `let row = …;` for this invocation. */
  readonly row: string;
  /** A `for` header visiting this invocation's part of the row with index `j` (columns 0..c-1). */
  readonly each: string;
  /** Combines `value` of every invocation on the row into a new variable `name`. */
  tree(name: string, value: string, combine: (a: string, b: string) => string): string;
  /** Runs `body` once per row (on the row's first invocation). */
  once(body: string): string;
  /** Workgroups for `rows` rows. */
  groups(rows: number): number;
}

export function rowCode(c: number): RowCode {
  if (c <= ROW_THREAD_MAX) {
    return {
      key: 'thread',
      decls: '',
      row: `let row = (${WG_INDEX}) * ${WG}u + lid;`,
      each: 'for (var j = 0u; j < c; j++)',
      tree: (name, value) => `var ${name} = ${value};`,
      once: (body) => body,
      groups: (rows) => Math.ceil(rows / WG),
    };
  }
  return {
    key: 'group',
    decls: `var<workgroup> red: array<f32, ${WG}>;`,
    row: `let row = ${WG_INDEX};`,
    each: `for (var j = lid; j < c; j += ${WG}u)`,
    tree: (name, value, combine) => `
  red[lid] = ${value};
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = ${combine('red[lid]', 'red[lid + s]')}; }
    workgroupBarrier();
  }
  var ${name} = red[0];
  workgroupBarrier();`,
    once: (body) => `if (lid == 0u) { ${body} }`,
    groups: (rows) => rows,
  };
}

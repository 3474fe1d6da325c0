import type { GpuStorage } from '../buffers';
import type { Device } from '../context';
import { grid } from '../runtime';
import { ENTRY_ARGS, WG_INDEX } from '../wgsl';
import { gemmDirectShader } from './gemm-direct';

/**
 * Tiled GEMM shaders, C[b] = A[b] · B[b] (M×K times K×N, float32), with
 * pluggable element loaders so matmul over strided views and the three
 * convolution products (implicit im2col, no scratch matrix) share them.
 *
 * A workgroup of wx×wy threads computes a BM×BN block of C (BM = wy·tm,
 * BN = wx·tn); each thread holds a tm×tn register tile. A and B pass
 * through shared memory in BK-deep slabs stored as vec4s (four rows of A or
 * four columns of B), so the inner loop is vec4 loads and vec4 FMAs. The WGSL
 * is generated with every register-tile loop unrolled and each accumulator
 * a named variable: an array indexed in a loop may be kept in memory rather
 * than registers (SwiftShader does; on GPUs it depends on the compiler).
 * Loads outside the matrices read 0, so any M, N, K work.
 *
 * The tile is chosen by problem size (big tiles for big products, small ones
 * so that small products still spread over many workgroups), and when even
 * small tiles give few workgroups and K is long, K is split over slices whose
 * partial products are summed by a second kernel (split-K), as the MLP's
 * 32×784 · 784×128 needs. On software adapters the products run on a
 * kernel without shared memory instead (`gemm-direct.ts`).
 */

export interface GemmTile {
  /** Threads per workgroup along N (x) and M (y). */
  readonly wx: number;
  readonly wy: number;
  /** Register tile per thread: rows and columns (multiples of 4). */
  readonly tm: number;
  readonly tn: number;
  /** Depth of a shared-memory slab. */
  readonly bk: number;
}

/** 128×128 (256 threads, 8×8 each), 64×64 (64 threads, 8×8 each) and 32×32 (64 threads, 4×4 each). */
export const TILES = {
  large: { wx: 16, wy: 16, tm: 8, tn: 8, bk: 8 },
  medium: { wx: 8, wy: 8, tm: 8, tn: 8, bk: 8 },
  small: { wx: 8, wy: 8, tm: 4, tn: 4, bk: 8 },
} as const satisfies Record<string, GemmTile>;

/**
 * How products are planned. 'gpu': shared-memory tiles, with enough workgroups
 * to fill a GPU's many cores first (the biggest tile that still gives that
 * many, then split-K). 'software' (a CPU Vulkan driver such as SwiftShader,
 * whose adapter reports isFallbackAdapter): the direct kernel of
 * `gemm-direct.ts`, 8×8 outputs per thread (4×4 where that pads much less).
 */
export type GemmProfile = 'gpu' | 'software';

export interface GemmPlan {
  readonly tile: GemmTile;
  /** K slices summed by a second kernel (1: no split). */
  readonly slices: number;
  /** The software kernel: no shared memory (tile.bk unused). */
  readonly direct: boolean;
}

/** GPU: workgroups a product should have before a bigger tile or a single K slice is used. */
const LARGE_MIN_GROUPS = 128;
const MEDIUM_MIN_GROUPS = 64;
const SPLIT_TARGET_GROUPS = 32;
/** The shortest K slice worth a split: shorter slices make the partial sums cost more than they save. */
const MIN_SLICE = 128;
/** Software: the cost of an output of a 4×4-per-thread block relative to an 8×8 one (SwiftShader: measured 1.6 to 2.2). */
const SOFTWARE_SMALL_COST = 1.7;

function groupsFor(t: GemmTile, M: number, N: number, batch: number): number {
  return Math.ceil(M / (t.wy * t.tm)) * Math.ceil(N / (t.wx * t.tn)) * batch;
}

/** Plans an M×K·K×N product over `batch` matrices. */
export function gemmPlan(M: number, K: number, N: number, batch: number, profile: GemmProfile = 'gpu'): GemmPlan {
  if (profile === 'software') {
    // Outputs computed, padding to whole per-thread blocks included, weighted by their cost.
    const work = (t: GemmTile) =>
      Math.ceil(M / t.tm) * t.tm * Math.ceil(N / t.tn) * t.tn * (t.tm * t.tn < 64 ? SOFTWARE_SMALL_COST : 1);
    return { tile: work(TILES.small) < work(TILES.medium) ? TILES.small : TILES.medium, slices: 1, direct: true };
  }
  let tile: GemmTile = TILES.small;
  if (groupsFor(TILES.large, M, N, batch) >= LARGE_MIN_GROUPS) tile = TILES.large;
  else if (groupsFor(TILES.medium, M, N, batch) >= MEDIUM_MIN_GROUPS) tile = TILES.medium;
  const groups = groupsFor(tile, M, N, batch);
  let slices = 1;
  if (groups < SPLIT_TARGET_GROUPS && K >= 2 * MIN_SLICE) {
    slices = Math.min(Math.ceil(SPLIT_TARGET_GROUPS / groups), Math.floor(K / MIN_SLICE));
    slices = Math.ceil(K / sliceLength(K, slices, tile.bk));
  }
  return { tile, slices, direct: false };
}

/** K per slice: a whole number of slabs. */
function sliceLength(K: number, slices: number, bk: number): number {
  return Math.ceil(K / slices / bk) * bk;
}

export interface GemmLoaders {
  /** Part of the pipeline key: equal keys must give identical WGSL. */
  readonly key: string;
  /** Input bindings (1..n; binding 0 is the output `out`). */
  readonly inputs: readonly string[];
  /**
   * WGSL defining `fn bases(b: u32) -> vec2<i32>` (per-batch offsets into A and B),
   * `fn loadA(base: vec2<i32>, m: u32, k: u32) -> f32` and `fn loadB(base: vec2<i32>, k: u32, n: u32) -> f32`,
   * called only for in-range indices. Parameter words from GEMM_WORDS on are theirs.
   */
  readonly code: string;
  /**
   * Which index of A (m or k) and of B (k or n) walks consecutive addresses, so
   * that neighbouring threads load neighbouring elements. Defaults: k, n (row-major).
   */
  readonly aContiguous?: 'm' | 'k';
  readonly bContiguous?: 'k' | 'n';
}

/** Parameter words the GEMM itself uses: M, K, N, first batch, slices, K per slice, slice stride (one spare). */
export const GEMM_WORDS = 8;

export function runGemm(
  dev: Device,
  loaders: GemmLoaders,
  out: GpuStorage,
  inputs: readonly GpuStorage[],
  dims: { M: number; K: number; N: number; batch: number },
  extraParams: readonly number[],
): void {
  const { M, K, N, batch } = dims;
  const { tile, slices, direct } = gemmPlan(M, K, N, batch, dev.rt.gemmProfile);
  const aC = loaders.aContiguous ?? 'k';
  const bC = loaders.bContiguous ?? 'n';
  const k = dev.kernel({
    key: direct
      ? `gemm-direct|${tile.wx}x${tile.wy}x${tile.tm}x${tile.tn}|${loaders.key}`
      : `gemm|${tile.wx}x${tile.wy}x${tile.tm}x${tile.tn}x${tile.bk}|${aC}${bC}|${loaders.key}`,
    bindings: ['write', ...loaders.inputs.map(() => 'read' as const)],
    paramWords: GEMM_WORDS + extraParams.length,
    code: () => (direct ? gemmDirectShader(loaders, tile) : gemmShader(loaders, tile, aC, bC)),
  });
  const total = batch * M * N;
  const kSlice = sliceLength(K, slices, tile.bk);
  const target = slices > 1 ? dev.alloc('float32', slices * total) : out;
  const maxZ = Math.floor(dev.rt.limits.maxComputeWorkgroupsPerDimension / slices);
  const BM = tile.wy * tile.tm;
  const BN = tile.wx * tile.tn;
  for (let b0 = 0; b0 < batch; b0 += maxZ) {
    const nb = Math.min(maxZ, batch - b0);
    const params = [M, K, N, b0, slices, kSlice, total, 0, ...extraParams];
    dev.rt.dispatch(k, [target, ...inputs], params, [Math.ceil(N / BN), Math.ceil(M / BM), nb * slices]);
  }
  if (slices > 1) {
    sumSlices(dev, target, out, slices, total);
    dev.release(target);
  }
}

const SUM_WG = 256;

/** out[i] = Σ_s part[s·n + i], in slice order. */
function sumSlices(dev: Device, part: GpuStorage, out: GpuStorage, slices: number, n: number): void {
  const k = dev.kernel({
    key: 'gemm-sum-slices',
    bindings: ['write', 'read'],
    paramWords: 2,
    code: () => /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@compute @workgroup_size(${SUM_WG})
fn main(${ENTRY_ARGS}) {
  let i = (${WG_INDEX}) * ${SUM_WG}u + lid;
  let n = P(0u);
  if (i >= n) { return; }
  var s = part[i];
  for (var j = 1u; j < P(1u); j++) { s = s + part[j * n + i]; }
  out[i] = s;
}
`,
  });
  dev.rt.dispatch(k, [out, part], [n, slices], grid(Math.ceil(n / SUM_WG)));
}

const LANE = ['x', 'y', 'z', 'w'];

function gemmShader(l: GemmLoaders, t: GemmTile, aC: 'm' | 'k', bC: 'k' | 'n'): string {
  const { wx, wy, tm, tn, bk } = t;
  const threads = wx * wy;
  const BM = wy * tm;
  const BN = wx * tn;
  // Shared slabs: one row of vec4s per k, padded by one vec4 so that threads
  // storing down a column (consecutive k) do not all hit one bank.
  const SA = BM / 4 + 1;
  const SB = BN / 4 + 1;
  const aSlots = (bk * BM) / 4;
  const bSlots = (bk * BN) / 4;
  if (aSlots % threads !== 0 || bSlots % threads !== 0 || tm % 4 !== 0 || tn % 4 !== 0) {
    throw new Error(`gemm: tile ${JSON.stringify(t)} does not divide its slabs among its threads`);
  }
  const decls = l.inputs
    .map((name, i) => `@group(0) @binding(${i + 1}) var<storage, read> ${name}: array<f32>;`)
    .join('\n');

  // Slab loads: each slot is a vec4 of 4 rows of A at one k (or 4 columns of B at one k);
  // consecutive threads take consecutive slots along the operand's contiguous index. These
  // loops stay loops: they touch no private array, and unrolling them only makes the shader
  // bigger (SwiftShader's compile time grows steeply with it).
  const [ak, am] = aC === 'k' ? [`e % ${bk}u`, `e / ${bk}u`] : [`e / ${BM / 4}u`, `e % ${BM / 4}u`];
  const [bkk, bn] = bC === 'n' ? [`e / ${BN / 4}u`, `e % ${BN / 4}u`] : [`e % ${bk}u`, `e / ${bk}u`];
  const load = [
    `for (var e = lid; e < ${aSlots}u; e += ${threads}u) {`,
    `  let k = ${ak}; let m4 = ${am}; let gk = k0 + k; let gm = m0 + m4 * 4u;`,
    `  As[k * ${SA}u + m4] = vec4<f32>(la(gm, gk), la(gm + 1u, gk), la(gm + 2u, gk), la(gm + 3u, gk));`,
    `}`,
    `for (var e = lid; e < ${bSlots}u; e += ${threads}u) {`,
    `  let k = ${bkk}; let n4 = ${bn}; let gk = k0 + k; let gn = n0 + n4 * 4u;`,
    `  Bs[k * ${SB}u + n4] = vec4<f32>(lb(gk, gn), lb(gk, gn + 1u), lb(gk, gn + 2u), lb(gk, gn + 3u));`,
    `}`,
  ];

  // Thread (tx, ty) owns rows ty·tm + i and the vec4 columns tx + wx·j.
  const accDecl: string[] = [];
  for (let i = 0; i < tm; i++) for (let j = 0; j < tn / 4; j++) accDecl.push(`var c${i}_${j} = vec4<f32>(0.0);`);
  const inner: string[] = [];
  for (let kk = 0; kk < bk; kk++) {
    const lines: string[] = [];
    for (let i4 = 0; i4 < tm / 4; i4++) lines.push(`let a${i4} = As[${kk * SA}u + ar + ${i4}u];`);
    for (let j = 0; j < tn / 4; j++) lines.push(`let b${j} = Bs[${kk * SB}u + tx + ${j * wx}u];`);
    for (let i = 0; i < tm; i++) {
      for (let j = 0; j < tn / 4; j++) lines.push(`c${i}_${j} += a${i >> 2}.${LANE[i & 3]} * b${j};`);
    }
    inner.push(`{ ${lines.join(' ')} }`);
  }
  const store: string[] = [];
  for (let i = 0; i < tm; i++) {
    const cols: string[] = [];
    for (let j = 0; j < tn / 4; j++) {
      const n = `n0 + (tx + ${j * wx}u) * 4u`;
      cols.push(
        `{ let n = ${n}; ` +
          [0, 1, 2, 3].map((c) => `if (n + ${c}u < N) { out[row + n + ${c}u] = c${i}_${j}.${LANE[c]}; }`).join(' ') +
          ' }',
      );
    }
    store.push(`{ let m = m0 + ty * ${tm}u + ${i}u; if (m < M) { let row = cb + m * N; ${cols.join(' ')} } }`);
  }

  return /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
${decls}
${l.code}
var<private> M: u32;
var<private> N: u32;
var<private> kEnd: u32;
var<private> base: vec2<i32>;
// Out-of-range elements load an in-range one (clamped) and select 0: no branch per element.
fn la(m: u32, k: u32) -> f32 { return select(0.0, loadA(base, min(m, M - 1u), min(k, kEnd - 1u)), m < M && k < kEnd); }
fn lb(k: u32, n: u32) -> f32 { return select(0.0, loadB(base, min(k, kEnd - 1u), min(n, N - 1u)), k < kEnd && n < N); }
var<workgroup> As: array<vec4<f32>, ${bk * SA}>;
var<workgroup> Bs: array<vec4<f32>, ${bk * SB}>;

@compute @workgroup_size(${wx}, ${wy})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) l3: vec3u, @builtin(local_invocation_index) lid: u32) {
  M = P(0u);
  N = P(2u);
  let slices = P(4u);
  let slice = wid.z % slices;
  let b = wid.z / slices + P(3u);
  let kBegin = slice * P(5u);
  // A local copy bounds the loop: a barrier under a loop over a private variable fails uniformity analysis.
  let kLast = min(P(1u), kBegin + P(5u));
  kEnd = kLast;
  base = bases(b);
  let m0 = wid.y * ${BM}u;
  let n0 = wid.x * ${BN}u;
  let tx = l3.x;
  let ty = l3.y;
  let ar = ty * ${tm / 4}u;
  ${accDecl.join('\n  ')}
  for (var k0 = kBegin; k0 < kLast; k0 += ${bk}u) {
    ${load.join('\n    ')}
    workgroupBarrier();
    ${inner.join('\n    ')}
    workgroupBarrier();
  }
  let cb = slice * P(6u) + b * M * N;
  ${store.join('\n  ')}
}
`;
}

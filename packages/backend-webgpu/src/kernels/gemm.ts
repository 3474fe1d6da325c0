import type { GpuStorage } from '../buffers';
import type { Device } from '../context';

/**
 * One tiled GEMM shader, C[b] = A[b] · B[b] (M×K times K×N, float32), with
 * pluggable element loaders so matmul over strided views and the three
 * convolution products (implicit im2col, no scratch matrix) share it.
 *
 * A workgroup of 16×16 threads computes a 64×64 block of C; each thread
 * holds a 4×4 register tile (rows ty+16i, columns tx+16j). A and B are
 * staged through shared memory in 64×16 and 16×64 tiles; loads outside the
 * matrices read 0, so any M, N, K work.
 */

export const TILE = 64;
const BK = 16;

export interface GemmLoaders {
  /** Part of the pipeline key: equal keys must give identical WGSL. */
  readonly key: string;
  /** Input bindings (1..n; binding 0 is the output `out`). */
  readonly inputs: readonly string[];
  /**
   * WGSL defining `fn bases(b: u32) -> vec2<i32>` (per-batch offsets into A and B),
   * `fn loadA(base: vec2<i32>, m: u32, k: u32) -> f32` and `fn loadB(base: vec2<i32>, k: u32, n: u32) -> f32`,
   * called only for in-range indices. Parameter words from 4 on are theirs.
   */
  readonly code: string;
}

export function runGemm(
  dev: Device,
  loaders: GemmLoaders,
  out: GpuStorage,
  inputs: readonly GpuStorage[],
  dims: { M: number; K: number; N: number; batch: number },
  extraParams: readonly number[],
): void {
  const { M, K, N, batch } = dims;
  const k = dev.kernel({
    key: `gemm|${loaders.key}`,
    bindings: ['write', ...loaders.inputs.map(() => 'read' as const)],
    paramWords: 4 + extraParams.length,
    code: () => gemmShader(loaders),
  });
  const maxZ = dev.rt.limits.maxComputeWorkgroupsPerDimension;
  for (let b0 = 0; b0 < batch; b0 += maxZ) {
    const nb = Math.min(maxZ, batch - b0);
    dev.rt.dispatch(k, [out, ...inputs], [M, K, N, b0, ...extraParams], [Math.ceil(N / TILE), Math.ceil(M / TILE), nb]);
  }
}

function gemmShader(l: GemmLoaders): string {
  const decls = l.inputs.map((name, i) => `@group(0) @binding(${i + 1}) var<storage, read> ${name}: array<f32>;`).join('\n');
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
${decls}
${l.code}
const BM = ${TILE}u;
const BN = ${TILE}u;
const BK = ${BK}u;
var<workgroup> As: array<f32, ${TILE * BK}>;
var<workgroup> Bs: array<f32, ${TILE * BK}>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) l3: vec3u, @builtin(local_invocation_index) lid: u32) {
  let M = P(0u);
  let K = P(1u);
  let N = P(2u);
  let b = wid.z + P(3u);
  let base = bases(b);
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  let tx = l3.x;
  let ty = l3.y;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < K; k0 += BK) {
    for (var r = 0u; r < 4u; r++) {
      let e = lid + r * 256u;
      let am = e / BK;
      let ak = e % BK;
      var va = 0.0;
      if (m0 + am < M && k0 + ak < K) { va = loadA(base, m0 + am, k0 + ak); }
      As[ak * BM + am] = va;
      let bk = e / BN;
      let bn = e % BN;
      var vb = 0.0;
      if (k0 + bk < K && n0 + bn < N) { vb = loadB(base, k0 + bk, n0 + bn); }
      Bs[bk * BN + bn] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var a: array<f32, 4>;
      var w: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = As[kk * BM + ty + i * 16u]; }
      for (var j = 0u; j < 4u; j++) { w[j] = Bs[kk * BN + tx + j * 16u]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] = fma(a[i], w[j], acc[i * 4u + j]); }
      }
    }
    workgroupBarrier();
  }
  let cb = b * M * N;
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + ty + i * 16u;
    if (m >= M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + tx + j * 16u;
      if (n < N) { out[cb + m * N + n] = acc[i * 4u + j]; }
    }
  }
}
`;
}

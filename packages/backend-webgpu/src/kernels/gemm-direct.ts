import type { GemmLoaders, GemmTile } from './gemm';

/**
 * The GEMM for software adapters (SwiftShader and other CPU Vulkan drivers):
 * no shared memory and no barriers. Each thread accumulates its tm×tn block of
 * C in named vec4 registers, reading its rows of A and columns of B straight
 * from the storage buffers at each k. On a CPU driver every read, shared or
 * not, is a per-lane gather, so staging slabs through shared memory only adds
 * the slab copies and the barriers (which make the driver run each workgroup's
 * invocations as coroutines switching at every barrier); without them the
 * MNIST MLP's products run 2-2.5× faster there. On a GPU this kernel would
 * re-read A and B from memory for every block, so it is never used there.
 *
 * Out-of-range rows and columns are clamped to the last one when loading and
 * dropped when storing, so the inner loop has no branches.
 */
export function gemmDirectShader(l: GemmLoaders, t: GemmTile): string {
  const { wx, wy, tm, tn } = t;
  const decls = l.inputs
    .map((name, i) => `@group(0) @binding(${i + 1}) var<storage, read> ${name}: array<f32>;`)
    .join('\n');
  const lane = ['x', 'y', 'z', 'w'];
  const setup: string[] = [];
  for (let i = 0; i < tm; i++) setup.push(`let r${i} = min(m0 + ${i}u, M - 1u);`);
  for (let j = 0; j < tn; j++) setup.push(`let q${j} = min(n0 + ${j}u, N - 1u);`);
  for (let i = 0; i < tm; i++) for (let j = 0; j < tn / 4; j++) setup.push(`var c${i}_${j} = vec4<f32>(0.0);`);
  const step: string[] = [];
  for (let i = 0; i < tm; i++) step.push(`let a${i} = loadA(base, r${i}, k);`);
  for (let j = 0; j < tn / 4; j++) {
    const b = [0, 1, 2, 3].map((c) => `loadB(base, k, q${j * 4 + c})`).join(', ');
    step.push(`let b${j} = vec4<f32>(${b});`);
  }
  for (let i = 0; i < tm; i++) for (let j = 0; j < tn / 4; j++) step.push(`c${i}_${j} += a${i} * b${j};`);
  const store: string[] = [];
  for (let i = 0; i < tm; i++) {
    const cols: string[] = [];
    for (let j = 0; j < tn; j++)
      cols.push(`if (n0 + ${j}u < N) { out[row + n0 + ${j}u] = c${i}_${j >> 2}.${lane[j & 3]}; }`);
    store.push(`if (m0 + ${i}u < M) { let row = cb + (m0 + ${i}u) * N; ${cols.join(' ')} }`);
  }
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
${decls}
${l.code}

@compute @workgroup_size(${wx}, ${wy})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) l3: vec3u) {
  let M = P(0u);
  let K = P(1u);
  let N = P(2u);
  let b = wid.z + P(3u);
  let m0 = (wid.y * ${wy}u + l3.y) * ${tm}u;
  let n0 = (wid.x * ${wx}u + l3.x) * ${tn}u;
  if (m0 >= M || n0 >= N) { return; }
  let base = bases(b);
  ${setup.join('\n  ')}
  for (var k = 0u; k < K; k++) {
    ${step.join('\n    ')}
  }
  let cb = b * M * N;
  ${store.join('\n  ')}
}
`;
}

import type { ElementwiseGroup, ElementwiseGroupsSpec } from '@tsdl/tensor/backend';
import { GpuStorage, storageOf } from '../buffers';
import type { Device } from '../context';
import { grid } from '../runtime';
import type { KernelDef } from '../runtime';
import { ENTRY_ARGS, f32bits, WG_INDEX } from '../wgsl';
import { elementwise, usedInputs } from './elementwise';
import { ExprEmitter, isIntValue, storeAs } from './expr-wgsl';

/**
 * Multi-tensor elementwise kernels (Backend.elementwiseGroups): the same
 * float32 expressions over many groups of dense inputs, an optimizer step
 * over every parameter, in as few dispatches as the binding limit allows.
 *
 * Each dispatch writes every output of its groups into one shared block (see
 * SharedBlock), and binds each distinct input buffer once, whole: after the
 * first step a parameter and its optimizer state are slots of the previous
 * step's block, so a dispatch binds that block, one gradient per parameter,
 * and the new block.
 *
 * Work goes out in tiles of `per` × 256 elements, each within one group: a
 * workgroup finds its group among the groups' tile ranges, reads the group's
 * table in the parameters once (size, output offsets, each input's element
 * offset, scalars) and runs its elements, `per` of them per invocation,
 * strided by the workgroup size so that reads stay coalesced. Which binding
 * each group's inputs come from is compiled in, one switch case per group
 * (no divergence: a workgroup runs one group), so the kernel's key includes
 * that mapping; an optimizer's mapping is the same every step from its
 * second. Measured on SwiftShader, Adam over the MNIST MLP's four parameters
 * takes as long as one dispatch as in four (4.2 vs 3.9–4.7 ms); choosing the
 * binding at run time per element had cost twice that.
 */

const WG = 256;
/** Most groups per dispatch: bounds the parameter table and each thread's search for its group. */
const MAX_GROUPS = 32;
/**
 * Elements per invocation on a software adapter. Measured on SwiftShader (Adam over 100k
 * elements, bindings compiled in): one element per invocation took 4.3× the ordinary
 * elementwise kernel of the same run (17.9 vs 4.2 ms), the table reads (dynamically indexed
 * uniforms) dominating; 16 per invocation amortises them (4.2 ms). A GPU runs one per invocation.
 */
const PER_SOFTWARE = 16;

/** A plain storage over a whole buffer, for binding a block (or any buffer) in full; one per buffer. */
const wholes = new WeakMap<GPUBuffer, GpuStorage>();
function whole(buffer: GPUBuffer): GpuStorage {
  let s = wholes.get(buffer);
  if (!s) wholes.set(buffer, (s = new GpuStorage(buffer, 'float32', buffer.size / 4)));
  return s;
}

/** 'i'/'f' per scalar: the scalars' WGSL types, part of a kernel's key (as in elementwise). */
function scalarKinds(scalars: readonly number[]): string {
  let k = '';
  for (const v of scalars) k += isIntValue(v) ? 'i' : 'f';
  return k;
}

/** Runs the spec; each group's outputs, one storage per expression. */
export function elementwiseGroups(dev: Device, spec: ElementwiseGroupsSpec): GpuStorage[][] {
  const used = usedInputs(spec.exprs);
  const nOut = spec.exprs.length;
  const limit = dev.rt.limits.maxStorageBuffersPerShaderStage;
  const maxBytes = Math.min(dev.rt.limits.maxStorageBufferBindingSize, dev.rt.limits.maxBufferSize);
  const result: GpuStorage[][] = new Array(spec.groups.length);

  let chunk: number[] = [];
  let buffers = new Set<GPUBuffer>();
  let kinds = '';
  let bytes = 0;
  const flush = (): void => {
    if (chunk.length > 0) run(dev, spec, used, chunk, [...buffers], result);
    chunk = [];
    buffers = new Set();
    bytes = 0;
  };
  spec.groups.forEach((g, gi) => {
    // Slots are rounded up to 256 bytes here, at least what allocBlock's alignment (a power of two <= 256) gives.
    const groupBytes = nOut * Math.ceil(Math.max(g.size * 4, 4) / 256) * 256;
    // A group too large for one block (or reading more tensors than a kernel may bind) runs on its own.
    if (groupBytes > maxBytes || used.length + 1 > limit) {
      result[gi] = alone(dev, spec, g);
      return;
    }
    const k = scalarKinds(g.scalars);
    // The buffers this group reads (a parameter and its state are often slots of one block).
    const own = new Set(used.map((j) => storageOf(g.inputs[j].data).buffer));
    let fresh = 0;
    for (const b of own) if (!buffers.has(b)) fresh++;
    if (
      chunk.length > 0 &&
      (k !== kinds || chunk.length >= MAX_GROUPS || buffers.size + fresh + 1 > limit || bytes + groupBytes > maxBytes)
    ) {
      flush();
    }
    kinds = k;
    chunk.push(gi);
    bytes += groupBytes;
    for (const b of own) buffers.add(b);
  });
  flush();
  return result;
}

/** One group as an ordinary elementwise kernel. */
function alone(dev: Device, spec: ElementwiseGroupsSpec, g: ElementwiseGroup): GpuStorage[] {
  return elementwise(dev, {
    exprs: spec.exprs,
    inputs: g.inputs,
    scalars: g.scalars,
    shape: [g.size],
    dtypes: spec.exprs.map(() => 'float32'),
    key: spec.key,
  });
}

function run(
  dev: Device,
  spec: ElementwiseGroupsSpec,
  used: readonly number[],
  chunk: readonly number[],
  buffers: readonly GPUBuffer[],
  result: GpuStorage[][],
): void {
  const groups = chunk.map((gi) => spec.groups[gi]);
  const G = groups.length;
  const nOut = spec.exprs.length;
  const nScalars = groups[0].scalars.length;
  const outs = dev.allocBlock(
    'float32',
    groups.flatMap((g) => spec.exprs.map(() => g.size)),
  );
  chunk.forEach((gi, c) => (result[gi] = outs.slice(c * nOut, (c + 1) * nOut)));
  // A software adapter runs few fat invocations best (the table reads are then paid once per many elements).
  const per = dev.rt.gemmProfile === 'software' ? PER_SOFTWARE : 1;
  const tile = WG * per;
  const tiles = groups.map((g) => Math.ceil(g.size / tile));
  const totalTiles = tiles.reduce((a, b) => a + b, 0);
  if (totalTiles === 0) return;

  // Parameter words: the number of tiles, each group's last tile (exclusive), then per group:
  // size, output offsets, each used input's element offset (in its binding), scalars.
  const slot = new Map(buffers.map((b, i) => [b, i]));
  const stride = 1 + nOut + used.length + nScalars;
  const tableAt = 1 + G;
  const params: number[] = [totalTiles];
  let end = 0;
  for (const t of tiles) params.push((end += t));
  const kinds = scalarKinds(groups[0].scalars);
  groups.forEach((g, c) => {
    params.push(g.size);
    for (let k = 0; k < nOut; k++) params.push(outs[c * nOut + k].byteOffset / 4);
    for (const j of used) {
      const v = g.inputs[j];
      const s = storageOf(v.data);
      params.push(s.byteOffset / 4 + v.offset);
    }
    g.scalars.forEach((x, i) => params.push(kinds[i] === 'i' ? x : f32bits(x)));
  });

  const S = buffers.length;
  // Which binding each group's inputs are read from: part of the kernel (a run-time choice per
  // element cost twice the kernel's time on SwiftShader); stable from an optimizer's second step.
  const slots = groups.map((g) => used.map((j) => slot.get(storageOf(g.inputs[j].data).buffer) as number));
  const def: KernelDef = {
    key: `ewg|${spec.key}|${used.join(',')}|${kinds}|${per}|${slots.map((l) => l.join(',')).join(';')}`,
    bindings: ['write', ...buffers.map(() => 'read' as const)],
    paramWords: params.length,
    code: () => {
      const scalarAt = 1 + nOut + used.length;
      const decls = ['@group(0) @binding(0) var<storage, read_write> out: array<f32>;'];
      for (let b = 0; b < S; b++) decls.push(`@group(0) @binding(${1 + b}) var<storage, read> in${b}: array<f32>;`);
      // The group's table is read once per invocation, before its elements.
      const head: string[] = [
        'var grp = 0u;',
        'loop { if (w < P(1u + grp)) { break; } grp = grp + 1u; }',
        'var firstTile = 0u;',
        'if (grp > 0u) { firstTile = P(grp); }',
        `let base = ${tableAt}u + grp * ${stride}u;`,
        'let n = P(base);',
        `let first = (w - firstTile) * ${tile}u + lid;`,
      ];
      for (let k = 0; k < nOut; k++) head.push(`let o${k} = P(base + ${1 + k}u);`);
      used.forEach((k, j) => head.push(`let at${k} = P(base + ${1 + nOut + j}u);`));
      for (let q = 0; q < nScalars; q++) {
        head.push(
          kinds[q] === 'i'
            ? `let s${q} = bitcast<i32>(P(base + ${scalarAt + q}u));`
            : `let s${q} = bitcast<f32>(P(base + ${scalarAt + q}u));`,
        );
      }
      // One case per group, each with its inputs' bindings fixed; a workgroup runs one group, so the
      // switch does not diverge.
      const cases = slots.map((bound, c) => {
        const emitter = new ExprEmitter({
          input: (k) => `x${k}`,
          inputType: () => 'f',
          scalar: (q) => `s${q}`,
          scalarType: (q) => (kinds[q] === 'i' ? 'i' : 'f'),
        });
        const body: string[] = [];
        used.forEach((k, j) => body.push(`let x${k} = in${bound[j]}[at${k} + e];`));
        const results = spec.exprs.map((ex) => emitter.emit(ex));
        body.push(...emitter.lines);
        results.forEach((r, k) => body.push(`out[o${k} + e] = ${storeAs(r, 'float32')};`));
        return (
          `${c === G - 1 ? 'default' : `case ${c}u`}: {\n` +
          `      for (var r = 0u; r < ${per}u; r = r + 1u) {\n        let e = first + r * ${WG}u;\n        if (e >= n) { break; }\n        ` +
          body.join('\n        ') +
          '\n      }\n    }'
        );
      });
      return (
        decls.join('\n') +
        `\n@compute @workgroup_size(${WG})\nfn main(${ENTRY_ARGS}) {\n` +
        `  let w = ${WG_INDEX};\n  if (w >= P(0u)) { return; }\n  ` +
        head.join('\n  ') +
        `\n  switch grp {\n    ${cases.join('\n    ')}\n  }\n}\n`
      );
    },
  };
  const kernel = dev.kernel(def);
  dev.rt.dispatch(kernel, [whole(outs[0].buffer), ...buffers.map(whole)], params, grid(totalTiles));
}

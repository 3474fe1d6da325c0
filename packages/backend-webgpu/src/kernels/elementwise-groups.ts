import type { ElementwiseGroup, ElementwiseGroupsSpec } from '@tsdl/tensor';
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
 * and the new block. Thread i finds its group from the groups' end offsets;
 * the group's table in the parameters gives its output offsets, each input's
 * buffer slot and element offset, and its scalars.
 */

const WG = 256;
/** Most groups per dispatch: bounds the parameter table and each thread's search for its group. */
const MAX_GROUPS = 32;

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
    let fresh = 0;
    for (const j of used) if (!buffers.has(storageOf(g.inputs[j].data).buffer)) fresh++;
    if (chunk.length > 0 && (k !== kinds || chunk.length >= MAX_GROUPS || buffers.size + fresh + 1 > limit || bytes + groupBytes > maxBytes)) {
      flush();
    }
    kinds = k;
    chunk.push(gi);
    bytes += groupBytes;
    for (const j of used) buffers.add(storageOf(g.inputs[j].data).buffer);
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

function run(dev: Device, spec: ElementwiseGroupsSpec, used: readonly number[], chunk: readonly number[], buffers: readonly GPUBuffer[], result: GpuStorage[][]): void {
  const groups = chunk.map((gi) => spec.groups[gi]);
  const G = groups.length;
  const nOut = spec.exprs.length;
  const nScalars = groups[0].scalars.length;
  const outs = dev.allocBlock(
    'float32',
    groups.flatMap((g) => spec.exprs.map(() => g.size)),
  );
  chunk.forEach((gi, c) => (result[gi] = outs.slice(c * nOut, (c + 1) * nOut)));
  const total = groups.reduce((a, g) => a + g.size, 0);
  if (total === 0) return;

  // Parameter words: total, each group's end, then per group: output offsets, (slot, offset) per used input, scalars.
  const slot = new Map(buffers.map((b, i) => [b, i]));
  const stride = nOut + 2 * used.length + nScalars;
  const tableAt = 1 + G;
  const params: number[] = [total];
  let end = 0;
  for (const g of groups) params.push((end += g.size));
  const kinds = scalarKinds(groups[0].scalars);
  groups.forEach((g, c) => {
    for (let k = 0; k < nOut; k++) params.push(outs[c * nOut + k].byteOffset / 4);
    for (const j of used) {
      const v = g.inputs[j];
      const s = storageOf(v.data);
      params.push(slot.get(s.buffer) as number, s.byteOffset / 4 + v.offset);
    }
    g.scalars.forEach((x, i) => params.push(kinds[i] === 'i' ? x : f32bits(x)));
  });

  const S = buffers.length;
  const def: KernelDef = {
    key: `ewg|${spec.key}|G${G}|S${S}|${used.join(',')}|${kinds}`,
    bindings: ['write', ...buffers.map(() => 'read' as const)],
    paramWords: params.length,
    code: () => {
      const emitter = new ExprEmitter({
        input: (k) => `x${k}`,
        inputType: () => 'f',
        scalar: (s) => (kinds[s] === 'i' ? `bitcast<i32>(P(base + ${nOut + 2 * used.length + s}u))` : `bitcast<f32>(P(base + ${nOut + 2 * used.length + s}u))`),
        scalarType: (s) => (kinds[s] === 'i' ? 'i' : 'f'),
      });
      const decls = ['@group(0) @binding(0) var<storage, read_write> out: array<f32>;'];
      for (let b = 0; b < S; b++) decls.push(`@group(0) @binding(${1 + b}) var<storage, read> in${b}: array<f32>;`);
      // Which buffer an input lives in is a run-time parameter, so one kernel serves every layout of slots.
      const cases = [];
      for (let b = 0; b < S - 1; b++) cases.push(`case ${b}u: { return in${b}[at]; }`);
      cases.push(`default: { return in${S - 1}[at]; }`);
      const load = `fn ld(slot: u32, at: u32) -> f32 {\n  switch slot {\n    ${cases.join('\n    ')}\n  }\n}\n`;
      const body: string[] = [
        'var g = 0u;',
        'loop { if (i < P(1u + g)) { break; } g = g + 1u; }',
        'var start = 0u;',
        'if (g > 0u) { start = P(g); }',
        'let e = i - start;',
        `let base = ${tableAt}u + g * ${stride}u;`,
      ];
      used.forEach((k, j) => body.push(`let x${k} = ld(P(base + ${nOut + 2 * j}u), P(base + ${nOut + 2 * j + 1}u) + e);`));
      const results = spec.exprs.map((ex) => emitter.emit(ex));
      body.push(...emitter.lines);
      results.forEach((r, k) => body.push(`out[P(base + ${k}u) + e] = ${storeAs(r, 'float32')};`));
      return (
        decls.join('\n') +
        '\n' +
        load +
        `@compute @workgroup_size(${WG})\nfn main(${ENTRY_ARGS}) {\n` +
        `  let i = (${WG_INDEX}) * ${WG}u + lid;\n  if (i >= P(0u)) { return; }\n  ` +
        body.join('\n  ') +
        '\n}\n'
      );
    },
  };
  const kernel = dev.kernel(def);
  dev.rt.dispatch(kernel, [whole(outs[0].buffer), ...buffers.map(whole)], params, grid(Math.ceil(total / WG)));
}

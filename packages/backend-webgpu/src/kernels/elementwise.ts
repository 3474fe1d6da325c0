import type { ElementwiseSpec, View } from '@tsdl/tensor/backend';
import { BackendError } from '@tsdl/tensor';
import type { GpuStorage } from '../buffers';
import { storageOf } from '../buffers';
import type { Device } from '../context';
import { grid } from '../runtime';
import type { KernelDef } from '../runtime';
import { ENTRY_ARGS, f32bits, WG_INDEX, wgslType } from '../wgsl';
import { ExprEmitter, isIntValue, storeAs } from './expr-wgsl';

/**
 * Elementwise kernels generated from expression trees, one WGSL shader per
 * (expressions, output dtypes, input dtypes, layout, scalar kinds), cached.
 *
 * Layout 'flat': every input is dense over the output or a broadcast single
 * value, so thread i reads in_k[off_k + i] (or in_k[off_k]). Layout
 * 'strided': thread i decomposes i over the shape (rank fixed per kernel,
 * sizes and strides are parameters) into one offset per input, so broadcast,
 * transposed and sliced views are read in place without a copy.
 */

const WG = 256;

function isConstant(v: View): boolean {
  return v.strides.every((s, i) => s === 0 || v.shape[i] === 1);
}

function isDenseRowMajor(shape: readonly number[], strides: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== s) return false;
    s *= shape[i];
  }
  return true;
}

/** Runs an elementwise spec; one new storage per expression. */
export function elementwise(dev: Device, spec: ElementwiseSpec): GpuStorage[] {
  const limit = dev.rt.limits.maxStorageBuffersPerShaderStage;
  const used = usedInputs(spec.exprs);
  if (spec.exprs.length + used.length <= limit)
    return [
      ...run(
        dev,
        spec,
        spec.exprs.map((_, i) => i),
      ),
    ];
  // Too many buffers for one shader: one kernel per output.
  return spec.exprs.map((e, i) => {
    if (1 + usedInputs([e]).length > limit) {
      throw new BackendError(
        `webgpu: elementwise: an expression reads ${usedInputs([e]).length} tensors, more than this adapter's ` +
          `${limit - 1} (maxStorageBuffersPerShaderStage ${limit} less one output)`,
      );
    }
    return run(dev, spec, [i])[0];
  });
}

/** The inputs the expressions read, ascending. */
export function usedInputs(exprs: ElementwiseSpec['exprs']): number[] {
  const set = new Set<number>();
  const walk = (e: ElementwiseSpec['exprs'][number]): void => {
    switch (e.kind) {
      case 'input':
        set.add(e.index);
        return;
      case 'unary':
        walk(e.a);
        return;
      case 'binary':
        walk(e.a);
        walk(e.b);
        return;
      case 'where':
        walk(e.cond);
        walk(e.a);
        walk(e.b);
        return;
      default:
        return;
    }
  };
  exprs.forEach(walk);
  return [...set].sort((a, b) => a - b);
}

function run(dev: Device, spec: ElementwiseSpec, which: number[]): GpuStorage[] {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const outs = which.map((i) => dev.alloc(spec.dtypes[i], n));
  if (n === 0) return outs;
  const exprs = which.map((i) => spec.exprs[i]);
  const dtypes = which.map((i) => spec.dtypes[i]);
  const used = usedInputs(exprs);
  const constant = spec.inputs.map(isConstant);
  const flat = used.every((k) => constant[k] || isDenseRowMajor(spec.inputs[k].shape, spec.inputs[k].strides));
  const shape = spec.shape.length === 0 ? [1] : spec.shape;
  const rank = shape.length;
  const scalarInt = spec.scalars.map(isIntValue);

  // Parameter words: n, [shape], per used input: offset [, strides], then scalars.
  const params: number[] = [n];
  if (!flat) params.push(...shape);
  const inputWord: number[] = [];
  for (const k of used) {
    const v = spec.inputs[k];
    inputWord[k] = params.length;
    params.push(v.offset);
    if (!flat) params.push(...(v.strides.length === 0 ? [0] : v.strides));
  }
  const scalarWord = params.length;
  for (let s = 0; s < spec.scalars.length; s++) params.push(scalarInt[s] ? spec.scalars[s] : f32bits(spec.scalars[s]));

  const layout = flat ? `flat:${used.map((k) => (constant[k] ? 'c' : 'd')).join('')}` : `strided:${rank}`;
  const key =
    `ew|${which.join(',')}|${spec.key}|` +
    `${dtypes.join(',')}|${used.map((k) => `${k}${spec.inputs[k].dtype[0]}`).join(',')}|${layout}|` +
    scalarInt.map((b) => (b ? 'i' : 'f')).join('');

  const def: KernelDef = {
    key,
    bindings: [...outs.map(() => 'write' as const), ...used.map(() => 'read' as const)],
    paramWords: params.length,
    code: () => {
      const emitter = new ExprEmitter({
        input: (k) => `x${k}`,
        inputType: (k) => (spec.inputs[k].dtype === 'float32' ? 'f' : 'i'),
        scalar: (s) => (scalarInt[s] ? `bitcast<i32>(P(${scalarWord + s}u))` : `bitcast<f32>(P(${scalarWord + s}u))`),
        scalarType: (s) => (scalarInt[s] ? 'i' : 'f'),
      });
      const decls: string[] = [];
      outs.forEach((_, j) =>
        decls.push(`@group(0) @binding(${j}) var<storage, read_write> out${j}: array<${wgslType(dtypes[j])}>;`),
      );
      used.forEach((k, j) =>
        decls.push(
          `@group(0) @binding(${outs.length + j}) var<storage, read> in${k}: array<${wgslType(spec.inputs[k].dtype)}>;`,
        ),
      );
      const body: string[] = [];
      if (flat) {
        for (const k of used) {
          body.push(`let x${k} = in${k}[P(${inputWord[k]}u)${constant[k] ? '' : ' + i'}];`);
        }
      } else {
        body.push('var rem = i;');
        for (const k of used) body.push(`var o${k} = bitcast<i32>(P(${inputWord[k]}u));`);
        for (let d = rank - 1; d >= 0; d--) {
          body.push(`{ let size = P(${1 + d}u); let c = i32(rem % size); rem = rem / size;`);
          for (const k of used) body.push(`  o${k} = o${k} + c * bitcast<i32>(P(${inputWord[k] + 1 + d}u));`);
          body.push('}');
        }
        for (const k of used) body.push(`let x${k} = in${k}[o${k}];`);
      }
      const results = exprs.map((e) => emitter.emit(e));
      body.push(...emitter.lines);
      results.forEach((r, j) => body.push(`out${j}[i] = ${storeAs(r, dtypes[j])};`));
      return (
        decls.join('\n') +
        `\n@compute @workgroup_size(${WG})\nfn main(${ENTRY_ARGS}) {\n` +
        `  let i = (${WG_INDEX}) * ${WG}u + lid;\n  if (i >= P(0u)) { return; }\n  ` +
        body.join('\n  ') +
        '\n}\n'
      );
    },
  };
  const kernel = dev.kernel(def);
  dev.rt.dispatch(
    kernel,
    [...outs, ...used.map((k) => storageOf(spec.inputs[k].data))],
    params,
    grid(Math.ceil(n / WG)),
  );
  return outs;
}

import * as T from '@tsdl/tensor';
import { ArgumentError, ShapeError, type Tensor } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { ONNX, isFloatType } from '../data-types';
import type { GraphNode } from '../graph/node';
import * as H from '../host/ndarray';
import type { RunContext } from '../runtime/context';
import { HOST_LIMIT, type Value, device, host, shapeOf } from '../runtime/value';
import type { HostArray } from '../tensor-proto';
import { normAxes, normAxis, reshapeTarget, sliceAxis } from './axes';
import { type HostInputs, type Inputs, type OpSpec, req, reqHost } from './spec';

/**
 * Shape and data-movement operators. Where every input is on the host (the
 * shape arithmetic of an exported graph) they compute there; otherwise they
 * are tsdl views (reshape, transpose, slice, broadcast) or one op.
 */

const int64 = (shape: readonly number[], values: readonly number[]): HostArray =>
  H.hostArray(ONNX.INT64, shape, values);

/** A value with a new shape: host data is shared, a tensor becomes a view. */
function reshaped(v: Value, shape: number[]): Value {
  return v.kind === 'host' ? host({ type: v.type, shape, data: v.data }) : device(T.reshape(v.tensor, shape), v.type);
}

/** Axes from the input (opset 13+ for most ops) or the attribute (before). */
function axesOf(node: GraphNode, inputs: Inputs | HostInputs, index: number, ctx: RunContext): number[] | undefined {
  const v = inputs[index];
  if (v) return ctx.ints(v, node, 'input axes');
  return node.has('axes') ? node.ints('axes') : undefined;
}

const shape: OpSpec = {
  attrs: { start: 'int', end: 'int' },
  inputs: [1, 1],
  run: (node, inputs) => {
    const s = shapeOf(req(inputs, 0));
    const r = s.length;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const part = s.slice(clamp(node.int('start', 0)), node.has('end') ? clamp(node.int('end')) : r);
    return [host(int64([part.length], part))];
  },
};

const size: OpSpec = {
  attrs: {},
  inputs: [1, 1],
  run: (_node, inputs) => [host(int64([], [H.sizeOfShape(shapeOf(req(inputs, 0)))]))],
};

const reshape: OpSpec = {
  attrs: { allowzero: 'int' },
  inputs: [2, 2],
  run: (node, inputs, ctx) => {
    const x = req(inputs, 0);
    const target = reshapeTarget(
      node,
      shapeOf(x),
      ctx.ints(req(inputs, 1), node, 'input shape'),
      node.intIn('allowzero', 0, [0, 1]) === 1,
    );
    return [reshaped(x, target)];
  },
};

const flatten: OpSpec = {
  attrs: { axis: 'int' },
  inputs: [1, 1],
  run: (node, inputs) => {
    const x = req(inputs, 0);
    const s = shapeOf(x);
    let axis = node.int('axis', 1);
    if (axis < -s.length || axis > s.length)
      throw new ShapeError(`${node.where}: axis ${axis} is out of range for rank ${s.length}`);
    if (axis < 0) axis += s.length;
    return [reshaped(x, [H.sizeOfShape(s.slice(0, axis)), H.sizeOfShape(s.slice(axis))])];
  },
};

const squeeze: OpSpec = {
  attrs: { axes: 'ints' },
  inputs: [1, 2],
  run: (node, inputs, ctx) => {
    const x = req(inputs, 0);
    const s = shapeOf(x);
    const given = axesOf(node, inputs, 1, ctx);
    const axes = given ? normAxes(node, given, s.length) : s.flatMap((d, i) => (d === 1 ? [i] : []));
    for (const a of axes)
      if (s[a] !== 1) throw new ShapeError(`${node.where}: axis ${a} of shape ${fmtShape(s)} has size ${s[a]}, not 1`);
    return [
      reshaped(
        x,
        s.filter((_, i) => !axes.includes(i)),
      ),
    ];
  },
};

const unsqueeze: OpSpec = {
  attrs: { axes: 'ints' },
  inputs: [1, 2],
  run: (node, inputs, ctx) => {
    const x = req(inputs, 0);
    const s = shapeOf(x);
    const given = axesOf(node, inputs, 1, ctx);
    if (!given) throw new ArgumentError(`${node.where}: needs axes (an input from opset 13, an attribute before)`);
    const axes = normAxes(node, given, s.length + given.length);
    const out: number[] = [];
    let k = 0;
    for (let i = 0; i < s.length + axes.length; i++) out.push(axes.includes(i) ? 1 : s[k++]);
    return [reshaped(x, out)];
  },
};

const transpose: OpSpec = {
  attrs: { perm: 'ints' },
  inputs: [1, 1],
  host: (node, inputs) => {
    const x = reqHost(inputs, 0);
    return [host(H.transpose(x, permOf(node, x.shape.length)))];
  },
  run: (node, inputs, ctx) => {
    const x = req(inputs, 0);
    const t = ctx.tensor(x, node, 'input');
    return [device(T.transpose(t, permOf(node, t.rank)), x.type)];
  },
};

function permOf(node: GraphNode, rank: number): number[] {
  const perm = node.ints(
    'perm',
    Array.from({ length: rank }, (_, i) => rank - 1 - i),
  );
  const p = perm.map((a) => normAxis(node, a, rank, 'perm'));
  if (p.length !== rank || new Set(p).size !== rank)
    throw new ShapeError(`${node.where}: perm [${perm.join(', ')}] is not a permutation of ${rank} axes`);
  return p;
}

const expand: OpSpec = {
  attrs: {},
  inputs: [2, 2],
  host: (node, inputs, ctx) => {
    const x = reqHost(inputs, 0);
    const s = ctx.ints(req(inputs, 1), node, 'input shape');
    const out = H.broadcastShape(node.where, x.shape, s);
    return H.sizeOfShape(out) > HOST_LIMIT ? null : [host(H.expand(x, s))];
  },
  run: (node, inputs, ctx) => {
    const x = req(inputs, 0);
    const s = ctx.ints(req(inputs, 1), node, 'input shape');
    const t = ctx.tensor(x, node, 'input');
    // ONNX's Expand broadcasts both ways: a 1 in `shape` keeps the input's dim.
    return [device(T.broadcastTo(t, H.broadcastShape(node.where, t.shape, s)), x.type)];
  },
};

const tile: OpSpec = {
  attrs: {},
  inputs: [2, 2],
  host: (node, inputs, ctx) => {
    const x = reqHost(inputs, 0);
    const reps = repeatsOf(node, x.shape.length, req(inputs, 1), ctx);
    return H.sizeOfShape(x.shape) * H.sizeOfShape(reps) > HOST_LIMIT ? null : [host(H.tile(x, reps))];
  },
  run: (node, inputs, ctx) => {
    const x = req(inputs, 0);
    const t = ctx.tensor(x, node, 'input');
    return [device(T.tile(t, repeatsOf(node, t.rank, req(inputs, 1), ctx)), x.type)];
  },
};

function repeatsOf(node: GraphNode, rank: number, v: Value, ctx: RunContext): number[] {
  const reps = ctx.ints(v, node, 'input repeats');
  if (reps.length !== rank || reps.some((r) => r < 0))
    throw new ShapeError(`${node.where}: repeats [${reps.join(', ')}] must be ${rank} integers >= 0`);
  return reps;
}

const concat: OpSpec = {
  attrs: { axis: 'int' },
  inputs: [1, 2147483647],
  host: (node, inputs) => {
    const parts = inputs as readonly HostArray[];
    const axis = normAxis(node, node.int('axis'), parts[0].shape.length);
    return [host(H.concat(parts, axis))];
  },
  run: (node, inputs, ctx) => {
    const first = req(inputs, 0);
    const tensors = inputs.map((v, i) => ctx.tensor(v as Value, node, `input ${i}`));
    const axis = normAxis(node, node.int('axis'), tensors[0].rank);
    return [device(tensors.length === 1 ? tensors[0] : T.concat(tensors, axis), first.type)];
  },
};

/** Slice: starts/ends/axes/steps as inputs (opset 10+) or attributes (before). */
function slicePlan(node: GraphNode, s: readonly number[], inputs: Inputs, ctx: RunContext) {
  const fromInputs = ctx.opset >= 10;
  const starts = fromInputs ? ctx.ints(req(inputs, 1), node, 'input starts') : node.ints('starts');
  const ends = fromInputs ? ctx.ints(req(inputs, 2), node, 'input ends') : node.ints('ends');
  const axes =
    (fromInputs
      ? inputs[3] && ctx.ints(inputs[3], node, 'input axes')
      : node.has('axes')
        ? node.ints('axes')
        : undefined) || starts.map((_, i) => i);
  const steps = (fromInputs && inputs[4] && ctx.ints(inputs[4], node, 'input steps')) || starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw new ShapeError(
      `${node.where}: starts, ends, axes and steps have ${starts.length}, ${ends.length}, ${axes.length} and ${steps.length} entries; they must match`,
    );
  }
  const plan = s.map((d) => ({ start: 0, step: 1, count: d }));
  const seen = new Set<number>();
  axes.forEach((a, i) => {
    const axis = normAxis(node, a, s.length, 'an axis');
    if (seen.has(axis)) throw new ShapeError(`${node.where}: axis ${axis} is sliced twice`);
    seen.add(axis);
    plan[axis] = sliceAxis(node, s[axis], starts[i], ends[i], steps[i]);
  });
  return plan;
}

const slice: OpSpec = {
  attrs: { starts: 'ints', ends: 'ints', axes: 'ints' },
  inputs: [1, 5],
  host: (node, inputs, ctx) => {
    const x = reqHost(inputs, 0);
    const plan = slicePlan(node, x.shape, inputs, ctx);
    return [
      host(
        H.strided(
          x,
          plan.map((p) => p.start),
          plan.map((p) => p.step),
          plan.map((p) => p.count),
        ),
      ),
    ];
  },
  run: (node, inputs, ctx) => {
    const x = req(inputs, 0);
    let t = ctx.tensor(x, node, 'input data');
    const plan = slicePlan(node, t.shape, inputs, ctx);
    return [
      device(
        T.tidy(() => {
          // tsdl slices with positive steps: a negative one is a flip, then a positive step from the mirrored start.
          const flipped = plan.flatMap((p, i) => (p.step < 0 ? [i] : []));
          const dims = t.shape;
          if (flipped.length > 0) t = T.flip(t, flipped);
          const begin = plan.map((p, i) => (p.step < 0 ? dims[i] - 1 - p.start : p.start));
          const step = plan.map((p) => Math.abs(p.step));
          const end = plan.map((p, i) => (p.count === 0 ? begin[i] : begin[i] + (p.count - 1) * step[i] + 1));
          return T.slice(t, begin, end, step);
        }),
        x.type,
      ),
    ];
  },
};

/** Gather's indices may be negative (counted from the end); on the host they are checked and wrapped. */
function hostIndices(node: GraphNode, idx: HostArray, dim: number): HostArray {
  const data = Array.from(idx.data, (v, i) => {
    if (!Number.isInteger(v) || v < -dim || v >= dim)
      throw new ArgumentError(`${node.where}: index ${v} at position ${i} is out of range for an axis of size ${dim}`);
    return v < 0 ? v + dim : v;
  });
  return H.hostArray(ONNX.INT64, idx.shape, data);
}

const gather: OpSpec = {
  attrs: { axis: 'int' },
  inputs: [2, 2],
  host: (node, inputs) => {
    const x = reqHost(inputs, 0);
    const idx = reqHost(inputs, 1);
    const axis = normAxis(node, node.int('axis', 0), x.shape.length);
    const count = (H.sizeOfShape(x.shape) / Math.max(x.shape[axis], 1)) * idx.data.length;
    if (count > HOST_LIMIT) return null;
    return [host(H.gather(x, hostIndices(node, idx, x.shape[axis]), axis))];
  },
  run: (node, inputs, ctx) => {
    const x = req(inputs, 0);
    const idx = req(inputs, 1);
    const t = ctx.tensor(x, node, 'input data');
    const axis = normAxis(node, node.int('axis', 0), t.rank);
    const dim = t.shape[axis];
    const out = T.tidy(() => {
      let i: Tensor;
      if (idx.kind === 'host') {
        i = ctx.tensor(host(hostIndices(node, idx, dim)), node, 'input indices');
      } else {
        // Negative indices wrap, as ONNX says; tsdl's gather checks the rest of the range.
        i = T.where(T.lt(idx.tensor, 0), T.add(idx.tensor, dim), idx.tensor);
        if (i.dtype !== 'int32')
          throw new ArgumentError(`${node.where}: indices must be integers, got ${idx.tensor.dtype}`);
      }
      return T.gather(t, i, axis);
    });
    return [device(out, x.type)];
  },
};

/** Split's sizes: the `split` input (opset 13+) or attribute, else equal parts (num_outputs in opset 18). */
function splitSizes(node: GraphNode, dim: number, inputs: Inputs, ctx: RunContext): number[] {
  const given = inputs[1]
    ? ctx.ints(inputs[1], node, 'input split')
    : node.has('split')
      ? node.ints('split')
      : undefined;
  const parts = node.outputs.length;
  if (given) {
    if (given.length !== parts || given.some((g) => g < 0) || given.reduce((a, b) => a + b, 0) !== dim) {
      throw new ShapeError(`${node.where}: split [${given.join(', ')}] must be ${parts} sizes adding up to ${dim}`);
    }
    return given;
  }
  const n = node.int('num_outputs', parts);
  const each = Math.ceil(dim / n);
  return Array.from({ length: n }, (_, i) => Math.max(0, Math.min(each, dim - i * each)));
}

const split: OpSpec = {
  attrs: { axis: 'int', split: 'ints', num_outputs: 'int' },
  inputs: [1, 2],
  outputs: [1, 2147483647],
  run: (node, inputs, ctx) => {
    const x = req(inputs, 0);
    const s = shapeOf(x);
    const axis = normAxis(node, node.int('axis', 0), s.length);
    const sizes = splitSizes(node, s[axis], inputs, ctx);
    if (x.kind === 'host') {
      let at = 0;
      return sizes.map((n) => {
        const starts = s.map((_, i) => (i === axis ? at : 0));
        const counts = s.map((d, i) => (i === axis ? n : d));
        at += n;
        return host(
          H.strided(
            x,
            starts,
            s.map(() => 1),
            counts,
          ),
        );
      });
    }
    return T.split(x.tensor, sizes, axis).map((t) => device(t, x.type));
  },
};

const identity: OpSpec = { attrs: {}, inputs: [1, 1], run: (_node, inputs) => [req(inputs, 0)] };

const where: OpSpec = {
  attrs: {},
  inputs: [3, 3],
  host: (_node, inputs) => {
    const [c, a, b] = inputs as readonly HostArray[];
    const shape = H.broadcastShape('Where', H.broadcastShape('Where', c.shape, a.shape), b.shape);
    return H.sizeOfShape(shape) > HOST_LIMIT ? null : [host(H.where(c, a, b))];
  },
  run: (node, inputs, ctx) => {
    const [c, a, b] = inputs as Value[];
    const scalarOk = (v: Value) => v.kind === 'host' && v.data.length === 1 && v.shape.length === 0;
    const pick = (v: Value, what: string) => (scalarOk(v) ? (v as HostArray).data[0] : ctx.tensor(v, node, what));
    // Two JS numbers would give int32 for whole floats (0, 1): a float result needs a tensor operand.
    const x = scalarOk(a) && scalarOk(b) && isFloatType(a.type) ? ctx.tensor(a, node, 'input X') : pick(a, 'input X');
    return [device(T.where(ctx.tensor(c, node, 'input condition'), x, pick(b, 'input Y')), a.type)];
  },
};

export const SHAPE_OPS: Record<string, OpSpec> = {
  Shape: shape,
  Size: size,
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Expand: expand,
  Tile: tile,
  Concat: concat,
  Slice: slice,
  Gather: gather,
  Split: split,
  Identity: identity,
  Where: where,
};

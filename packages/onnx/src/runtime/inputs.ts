import { ArgumentError, BackendError, DTypeError, ShapeError, Tensor } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import type { Backend } from '@tsdl/tensor';
import { dataType, dataTypeName } from '../data-types';
import type { TensorInfo } from '../graph/load-graph';
import { type Value, device } from './value';

/**
 * Matches the tensors a caller passes to the graph's inputs: by name or in
 * order, each a tensor of the dtype that holds the input's ONNX type (int64 →
 * int32), on the model's backend, with the declared rank and fixed dims, and
 * symbolic dims ('batch') the same size wherever they appear.
 */
export function bindInputs(
  inputs: readonly TensorInfo[],
  given: Record<string, Tensor> | readonly Tensor[],
  backend: Backend,
  source: string,
): Map<string, Value> {
  const at = `run (${source})`;
  const names = inputs.map((i) => i.name);
  let byName: Map<string, unknown>;
  if (Array.isArray(given)) {
    if (given.length !== inputs.length)
      throw new ArgumentError(
        `${at}: got ${given.length} inputs; the model takes ${inputs.length} (${names.join(', ')})`,
      );
    byName = new Map(inputs.map((info, i) => [info.name, given[i]]));
  } else if (given !== null && typeof given === 'object' && !(given instanceof Tensor)) {
    byName = new Map(Object.entries(given));
    const unknown = [...byName.keys()].filter((k) => !names.includes(k));
    if (unknown.length > 0)
      throw new ArgumentError(
        `${at}: unknown input${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')}; the model's inputs are ${names.join(', ')}`,
      );
    const missing = names.filter((n) => !byName.has(n));
    if (missing.length > 0)
      throw new ArgumentError(
        `${at}: missing input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}`,
      );
  } else {
    throw new ArgumentError(
      `${at}: inputs must be an object of tensors by name or an array of tensors, got ${given instanceof Tensor ? 'a Tensor' : String(given)}`,
    );
  }
  const dims = new Map<string, [number, string]>();
  const out = new Map<string, Value>();
  for (const info of inputs) {
    const t = byName.get(info.name);
    if (!(t instanceof Tensor))
      throw new ArgumentError(`${at}: input '${info.name}' must be a Tensor, got ${t === null ? 'null' : typeof t}`);
    t.assertAlive(`run: input '${info.name}'`);
    if (t.backend !== backend)
      throw new BackendError(
        `${at}: input '${info.name}' is on backend '${t.backend.name}' but the model's weights are on '${backend.name}'`,
      );
    const want = dataType(info.type)!.dtype;
    if (t.dtype !== want) {
      throw new DTypeError(
        `${at}: input '${info.name}' is ${dataTypeName(info.type)} in the model, so it takes a ${want} tensor; got ${t.dtype}`,
      );
    }
    if (info.shape) {
      const declared = `[${info.shape.map((d) => d ?? '?').join(',')}]`;
      if (t.rank !== info.shape.length)
        throw new ShapeError(
          `${at}: input '${info.name}' has shape ${fmtShape(t.shape)}; the model declares ${declared}`,
        );
      info.shape.forEach((d, i) => {
        const n = t.shape[i];
        if (typeof d === 'number' && d !== n)
          throw new ShapeError(
            `${at}: input '${info.name}' has shape ${fmtShape(t.shape)}; the model declares ${declared} (dim ${i} must be ${d})`,
          );
        if (typeof d === 'string') {
          const seen = dims.get(d);
          if (seen && seen[0] !== n)
            throw new ShapeError(
              `${at}: dim '${d}' is ${seen[0]} in input '${seen[1]}' but ${n} in input '${info.name}'`,
            );
          dims.set(d, [n, info.name]);
        }
      });
    }
    out.set(info.name, device(t, info.type));
  }
  return out;
}

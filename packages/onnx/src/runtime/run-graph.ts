import * as T from '@tsdl/tensor';
import type { Tensor } from '@tsdl/tensor';
import type { LoadedGraph } from '../graph/load-graph';
import { OPERATORS } from '../ops/registry';
import type { OpSpec } from '../ops/spec';
import type { RunContext } from './context';
import type { HostValue, Value } from './value';

/**
 * Runs the graph's nodes in order under one tidy. A tensor a node made is
 * disposed after the last node that reads it, so peak memory follows the
 * graph's live values rather than all of them; weights, constants and the
 * caller's inputs are never disposed. Outputs come back as fresh handles the
 * caller owns (host values uploaded; an output that is a weight or an input is
 * a new view of it).
 */
export function runGraph(
  graph: LoadedGraph,
  persistent: ReadonlyMap<string, Value>,
  inputs: ReadonlyMap<string, Value>,
  ctx: RunContext,
): Record<string, Tensor> {
  return T.tidy(() => {
    const env = new Map<string, Value>([...persistent, ...inputs]);
    const external = new Set<Tensor>();
    for (const v of env.values()) if (v.kind === 'device') external.add(v.tensor);
    const holders = new Map<Tensor, number>();
    const outputNames = new Set(graph.outputs.map((o) => o.name));
    const release = (name: string) => {
      const v = env.get(name);
      env.delete(name);
      if (!v || v.kind !== 'device' || external.has(v.tensor)) return;
      const n = (holders.get(v.tensor) ?? 1) - 1;
      if (n > 0) holders.set(v.tensor, n);
      else {
        holders.delete(v.tensor);
        v.tensor.dispose();
      }
    };
    graph.nodes.forEach((node, index) => {
      const spec = OPERATORS.get(node.opType) as OpSpec;
      const ins = node.inputs.map((n) => (n === '' ? undefined : (env.get(n) as Value)));
      let outs: Value[] | null = null;
      if (spec.host && ins.every((v) => v === undefined || v.kind === 'host'))
        outs = spec.host(node, ins as (HostValue | undefined)[], ctx);
      outs ??= spec.run(node, ins, ctx);
      node.outputs.forEach((name, i) => {
        const v = outs![i];
        if (name === '' || !v) return;
        env.set(name, v);
        if (v.kind === 'device' && !external.has(v.tensor)) holders.set(v.tensor, (holders.get(v.tensor) ?? 0) + 1);
      });
      // Unread outputs and inputs read for the last time.
      for (const name of [...node.inputs, ...node.outputs]) {
        if (
          name !== '' &&
          !outputNames.has(name) &&
          (graph.lastUse.get(name) ?? -1) <= index &&
          !persistent.has(name) &&
          !inputs.has(name)
        )
          release(name);
      }
    });
    const result: Record<string, Tensor> = {};
    const given = new Set<Tensor>();
    for (const o of graph.outputs) {
      const v = env.get(o.name) as Value;
      let t = v.kind === 'device' ? v.tensor : ctx.tensor(v, { where: `run (${graph.source})` }, `output '${o.name}'`);
      if (external.has(t) || given.has(t)) t = T.reshape(t, t.shape);
      given.add(t);
      result[o.name] = t;
    }
    return result;
  });
}

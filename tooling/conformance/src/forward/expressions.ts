import * as T from '@tsdl/tensor';
import { getBackend } from '@tsdl/tensor';
import { BINARY_OPS, E, type Expr, UNARY_OPS, evalExpr, exprKey, runElementwise } from '@tsdl/tensor/backend';
import { type Case, expectTensor, input, registerCases } from './harness';
import { broadcastIndex, sizeOf, unravel } from './reference';

/**
 * The elementwise contract below the ops: runElementwise with several
 * outputs of different dtypes, run-time scalars, baked constants that need
 * care in generated code (NaN, ±Infinity, -0) and nested where, against
 * evalExpr (docs/architecture.md: "evalExpr is the reference semantics every
 * backend must match").
 */

const X0 = E.in(0);
const X1 = E.in(1);

/** Every unary and binary node once, over both inputs, so one kernel holds the whole vocabulary. */
const VOCABULARY: Expr[] = [
  ...UNARY_OPS.map((op) => E.u(op, X0)),
  ...BINARY_OPS.map((op) => E.b(op, X0, X1)),
  E.where(E.b('gt', X0, E.s(0)), E.mul(X1, E.s(1)), E.c(-0)),
];

const CASES: readonly Case[] = [
  {
    name: 'one kernel with an output per unary and binary node (float32), against evalExpr on broadcast inputs',
    run: () => {
      const a = input([3, 1], 'float32', 2000, 'sliced');
      const b = input([4], 'float32', 2001);
      const shape = [3, 4];
      const scalars = [0.25, -2];
      const outs = runElementwise(
        getBackend(),
        VOCABULARY,
        [a.t, b.t],
        scalars,
        shape,
        VOCABULARY.map(() => 'float32'),
      );
      VOCABULARY.forEach((e, k) => {
        const expected = Array.from({ length: sizeOf(shape) }, (_, i) => {
          const idx = unravel(i, shape);
          return evalExpr(
            e,
            [a.ref.data[broadcastIndex(idx, a.ref.shape)], b.ref.data[broadcastIndex(idx, b.ref.shape)]],
            scalars,
          );
        });
        expectTensor(outs[k], shape, 'float32', expected, undefined, `output ${k} (${exprKey(e)})`);
      });
    },
  },
  {
    name: 'outputs of one kernel may have different dtypes: float32 rounds, int32 truncates, bool is != 0',
    run: () => {
      const x = T.tensor([1.75, -1.3, 0, 10.4]);
      const e = E.mul(X0, E.s(0));
      const [f, i, b] = runElementwise(getBackend(), [e, e, e], [x], [2], [4], ['float32', 'int32', 'bool']);
      expectTensor(f, [4], 'float32', [3.5, -2.6, 0, 20.8]);
      expectTensor(i, [4], 'int32', [3, -2, 0, 20]);
      expectTensor(b, [4], 'bool', [1, 1, 0, 1]);
    },
  },
  {
    name: 'baked constants NaN, ±Infinity and -0 survive code generation',
    run: () => {
      const x = T.tensor([1, -1]);
      const exprs = [
        E.add(X0, E.c(NaN)),
        E.mul(X0, E.c(Infinity)),
        E.add(X0, E.c(-Infinity)),
        E.div(E.c(1), E.mul(X0, E.c(-0))),
        E.sub(E.c(-3), X0),
      ];
      const outs = runElementwise(
        getBackend(),
        exprs,
        [x],
        [],
        [2],
        exprs.map(() => 'float32'),
      );
      const expected = [
        [NaN, NaN],
        [Infinity, -Infinity],
        [-Infinity, -Infinity],
        [-Infinity, Infinity],
        [-4, -2],
      ];
      outs.forEach((o, k) => expectTensor(o, [2], 'float32', expected[k], undefined, exprKey(exprs[k])));
    },
  },
  {
    name: 'a run-time scalar that is not an int32 value is float32; an int32 value is exact',
    run: () => {
      const x = T.tensor([0.2, 0.1]);
      const exprs = [E.b('eq', X0, E.s(0)), E.b('lt', E.s(0), X0), E.sub(X0, E.s(1))];
      const outs = runElementwise(getBackend(), exprs, [x], [0.2, 0.1], [2], ['bool', 'bool', 'float32']);
      expectTensor(outs[0], [2], 'bool', [1, 0], undefined, 'eq(x, 0.2)');
      expectTensor(outs[1], [2], 'bool', [0, 0], undefined, 'lt(0.2, x)');
      expectTensor(
        outs[2],
        [2],
        'float32',
        [Math.fround(Math.fround(0.2) - Math.fround(0.1)), 0],
        { atol: 0, rtol: 0 },
        'x - 0.1',
      );
      const i = T.tensor(new Int32Array([2147483600]));
      const [y] = runElementwise(getBackend(), [E.add(X0, E.s(0))], [i], [47], [1], ['int32']);
      expectTensor(y, [1], 'int32', [2147483647], undefined, 'int32 + 47');
    },
  },
  {
    name: 'one compiled kernel, new scalar values: results follow the scalars, not the first call',
    run: () => {
      const x = T.tensor([1, 2, 3]);
      const e = [E.add(E.mul(X0, E.s(0)), E.s(1))];
      for (const [s0, s1] of [
        [2, 1],
        [-1, 0.5],
        [0, 7],
      ]) {
        const [y] = runElementwise(getBackend(), e, [x], [s0, s1], [3], ['float32'], 'conformance:affine');
        expectTensor(
          y,
          [3],
          'float32',
          [1, 2, 3].map((v) => v * s0 + s1),
        );
      }
    },
  },
];

export function registerExpressions(): void {
  registerCases('elementwise expressions (runElementwise)', CASES);
}

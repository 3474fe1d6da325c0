import { NON_DIFFERENTIABLE, differentiableOps, grad } from '@tsdl/autograd';
import { type Backend, GradientError, type Tensor, add, cast, dispose, rand, sum, tensor, tidy } from '@tsdl/tensor';
import { liveTensorCount } from '@tsdl/tensor/internal';
import { expectAllClose, gradCheck, readNumbers } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context';
import { attentionCompositeCases } from './cases-attention';
import { compositeCases } from './cases-composite';
import { convTransposeCases, convVariantCompositeCases } from './cases-conv-variants';
import { resizeCompositeCases } from './cases-resize';
import { poolOptionCompositeCases } from './cases-pool-options';
import { elementwiseCases } from './cases-elementwise';
import { linalgCases } from './cases-linalg';
import { nnCases } from './cases-nn';
import { layerNormCases } from './cases-layer-norm';
import { reduceCases } from './cases-reduce';
import { sequenceCases, sequenceCompositeCases } from './cases-sequence';
import { shapeCases } from './cases-shape';
import { registerConventions } from './conventions';
import { registerSequenceAnswers } from './sequence-answers';
import { nonDifferentiableCalls } from './non-differentiable';
import { recordedOps, recordedOpsAsync } from './recorded-ops';
import type { CaseEnv, GradCase, GradSetup, GradTable } from './types';

/** Every primitive with a gradient rule → its finite-difference cases (keys are recorded op names). */
export const primitiveGradCases: GradTable = {
  ...elementwiseCases,
  ...reduceCases,
  ...linalgCases,
  ...shapeCases,
  ...nnCases,
  ...layerNormCases,
  ...convTransposeCases,
  ...sequenceCases,
};

/**
 * Runs one case: gradCheck against central differences, proof that the case
 * records `op` (when given), and that nothing outlives it.
 */
async function runCase(c: GradCase, env: CaseEnv, op?: string): Promise<void> {
  const before = liveTensorCount();
  // tidy keeps the inputs (which it returns) and frees whatever build made on the way.
  let setup: GradSetup | undefined;
  const inputs = tidy(() => {
    setup = c.build(env);
    return setup.inputs;
  });
  const { f, opts } = setup as GradSetup;
  let seen: Set<string>;
  try {
    seen = await recordedOpsAsync(() => gradCheck(f, inputs, opts));
  } finally {
    dispose(inputs);
  }
  if (op !== undefined) expect([...seen], `ops recorded by the case`).toContain(op);
  expect(liveTensorCount(), 'live tensors after the case').toBe(before);
}

/** Reads a gradient (then disposes it) and compares it exactly with `expected`. */
async function expectGradValues(g: Tensor, expected: number[]): Promise<void> {
  try {
    expectAllClose(await readNumbers(g), expected, { atol: 0, rtol: 0 }, 'gradient');
  } finally {
    g.dispose();
  }
}

/**
 * The gradient group: every rule in autograd's registry against finite
 * differences (broadcast, negative axes, keepDims, non-contiguous views,
 * 0-d tensors), the composite ops, the non-differentiable ops' documented
 * behaviour, and the conventions at kinks and ties.
 */
export function registerGradients(ctx: ConformanceContext): void {
  let second: Backend | null = null;
  const env: CaseEnv = { second: () => (second ??= ctx.second()) };

  describe('gradients', () => {
    describe('coverage', () => {
      it('every op with a registered rule has finite-difference cases', () => {
        const missing = differentiableOps().filter(
          (op) => !(op in primitiveGradCases) || primitiveGradCases[op].length === 0,
        );
        expect(missing, 'ops with a gradient rule but no case in the gradient table').toEqual([]);
      });
      it('every case is filed under an op that has a rule', () => {
        const rules = new Set(differentiableOps());
        expect(Object.keys(primitiveGradCases).filter((op) => !rules.has(op))).toEqual([]);
      });
      it('every NON_DIFFERENTIABLE op has a behaviour case, and none also has a rule', () => {
        expect([...NON_DIFFERENTIABLE].filter((op) => !(op in nonDifferentiableCalls))).toEqual([]);
        expect(Object.keys(nonDifferentiableCalls).filter((op) => !NON_DIFFERENTIABLE.has(op))).toEqual([]);
        expect(differentiableOps().filter((op) => NON_DIFFERENTIABLE.has(op))).toEqual([]);
      });
    });

    describe('rules against finite differences', () => {
      for (const [op, cases] of Object.entries(primitiveGradCases)) {
        for (const c of cases) if (ctx.sync || !c.needsSyncRead) it(`${op}: ${c.name}`, () => runCase(c, env, op));
      }
    });

    describe('composite ops against finite differences', () => {
      for (const [name, cases] of Object.entries({
        ...compositeCases,
        ...sequenceCompositeCases,
        ...attentionCompositeCases,
        ...convVariantCompositeCases,
        ...resizeCompositeCases,
        ...poolOptionCompositeCases,
      })) {
        for (const c of cases) if (ctx.sync || !c.needsSyncRead) it(`${name}: ${c.name}`, () => runCase(c, env));
      }
    });

    describe('non-differentiable ops', () => {
      const input = () => {
        const x = tensor([0.2, -1.5, 0.7, 2.5, 0, -0.2, 1.2, 0.4, -2.6], [1, 3, 3, 1]);
        x.requiresGrad = true;
        return x;
      };
      for (const [op, call] of Object.entries(nonDifferentiableCalls)) {
        it(`${op}: output does not require grad and acts as a constant`, async () => {
          const g = tidy(() => {
            const x = input();
            let out: ReturnType<typeof call> | undefined;
            const seen = recordedOps(() => (out = call(x)));
            expect([...seen]).toContain(op);
            expect(out!.requiresGrad).toBe(false);
            expect(out!.isLeaf).toBe(true);
            // A loss made only of the op has nothing to differentiate.
            expect(() => sum(cast(call(x), 'float32')).backward()).toThrow(GradientError);
            expect(() => sum(cast(call(x), 'float32')).backward()).toThrow(/does not require grad/);
            expect(x.grad).toBeNull();
            // x + op(x): only the identity path contributes, so the gradient is all ones.
            return grad((t) => add(sum(t), sum(cast(call(t), 'float32'))))(x) as Tensor;
          });
          await expectGradValues(g, new Array<number>(9).fill(1));
        });
      }
      it('casts to int32 and bool leave the graph; grad through them is zero', async () => {
        const g = tidy(() => {
          const x = input();
          expect(cast(x, 'int32').requiresGrad).toBe(false);
          expect(cast(x, 'bool').requiresGrad).toBe(false);
          return grad((t) => sum(cast(cast(t, 'int32'), 'float32')))(x) as Tensor;
        });
        await expectGradValues(g, new Array<number>(9).fill(0));
      });
      it('random draws do not require grad', () => {
        tidy(() => expect(rand([3], { seed: 1 }).requiresGrad).toBe(false));
      });
    });

    describe('conventions at kinks, ties and zeros', () => {
      registerConventions();
      registerSequenceAnswers();
    });
  });
}

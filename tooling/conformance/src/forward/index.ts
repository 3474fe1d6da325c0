import type { ConformanceContext } from '../context';
import { describe } from 'vitest';
import { registerElementwise } from './elementwise';
import { registerElementwiseSpecial } from './elementwise-special';
import { registerReductions } from './reductions';
import { registerLinalg } from './linalg';
import { registerShape } from './shape';
import { registerMovement } from './movement';
import { registerNetwork } from './network';
import { registerConvVariants } from './conv-variants';
import { registerResize } from './resize';
import { registerPoolOptions } from './pool-options';
import { registerCreation } from './creation';
import { registerReading } from './reading';
import { registerExpressions } from './expressions';
import { registerSoftmaxCrossEntropy } from './softmax-ce';
import { registerLayerNorm } from './layer-norm';
import { registerCumulative } from './cumulative';
import { registerFlip } from './flip';
import { registerUnstack } from './unstack';
import { registerTriangular } from './triangular';
import { registerTopk } from './topk';
import { registerSampling } from './sampling';
import { registerSequenceMask } from './sequence-mask';
import { registerAttention } from './attention';
import { registerAccelerations } from './accelerations';

/**
 * The forward half of the conformance suite: every op of @tsdl/tensor on the
 * active backend against float64 references or hand-computed values. The
 * matrices are tables (op × dtype × shape × layout) expanded into one test
 * per case, so a failure names exactly what broke.
 */
export function registerForward(ctx: ConformanceContext): void {
  describe('forward', () => {
    registerElementwise();
    registerElementwiseSpecial();
    registerExpressions();
    registerReductions();
    registerLinalg();
    registerShape();
    registerMovement(ctx.sync);
    registerNetwork();
    registerConvVariants();
    registerResize();
    registerPoolOptions();
    registerSoftmaxCrossEntropy(ctx.sync);
    registerLayerNorm();
    registerCumulative();
    registerFlip();
    registerUnstack();
    registerTriangular();
    registerTopk();
    registerSampling(ctx.sync);
    registerSequenceMask(ctx.sync);
    registerAttention();
    registerCreation();
    registerReading(ctx.sync);
    registerAccelerations(ctx.accelerations, ctx.sync);
  });
}

import { E, type Expr } from '@tsdl/tensor/backend';

/** float32's smallest normal number, 2^-126 ≈ 1.18e-38. */
export const FLOAT32_MIN_NORMAL = 2 ** -126;

/**
 * `x`, or 0 where |x| is below float32's smallest normal number: for the running
 * averages optimizers keep (Adam's moments, momentum buffers), which decay
 * geometrically toward 0 wherever the gradient is 0 and so pass through
 * float32's subnormal range on the way. CPUs handle subnormals in microcode,
 * one to two orders of magnitude slower than normal numbers, and a kernel's
 * time follows its slowest lanes: on MNIST, whose rarely lit border pixels send
 * their first-layer weights' first moment through that range (0.9^t takes ~150
 * steps to cross it), Adam's update took 353 µs a step instead of ~100. A value
 * that small changes no update (it is divided by √v + ε, with ε ≥ 1e-8), so it
 * is stored as 0, as GPUs and CPUs in flush-to-zero mode do anyway. NaN is kept.
 */
export function flushSubnormal(x: Expr): Expr {
  return E.where(E.b('lt', E.u('abs', x), E.c(FLOAT32_MIN_NORMAL)), E.c(0), x);
}

/**
 * Each parameter group's initial learning rate, shared by every schedule on
 * that optimizer (PyTorch keeps it in the group as 'initial_lr'). The first
 * schedule made on an optimizer records the groups' rates; later ones reuse
 * them. Without this, a second schedule would take as its base whatever the
 * first one had just set: `new LinearLR(opt, { startFactor: 0.1 })` sets
 * lr = 0.1·base, and a CosineAnnealingLR made next for SequentialLR would
 * anneal from 0.1·base. Kept beside the groups rather than in them, because a
 * group's own keys are its hyper-parameters (state dicts check them).
 */
const initial = new WeakMap<object, number>();

/** The initial learning rate of every group, recording the current rate of any group not seen before. */
export function initialLrs(groups: readonly { lr: number }[]): number[] {
  return groups.map((g) => {
    let lr = initial.get(g);
    if (lr === undefined) {
      lr = g.lr;
      initial.set(g, lr);
    }
    return lr;
  });
}

/** Replaces the groups' initial learning rates (OneCycleLR derives its own from maxLr). */
export function setInitialLrs(groups: readonly { lr: number }[], lrs: readonly number[]): void {
  groups.forEach((g, i) => initial.set(g, lrs[i]));
}

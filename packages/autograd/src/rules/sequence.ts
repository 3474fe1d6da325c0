import { cumsum, flip } from '@tsdl/tensor';
import { type RuleTable, rule } from '../registry';

/**
 * Rules of the sequence ops recorded as one op each. Both are linear and read
 * nothing saved: cumsum's adjoint is the cumulative sum running the other way
 * (each input reaches every output after it, or before it when reversed), and
 * flip's is the same flip. cumprod has no rule: it is composed from recorded
 * multiplies (exact with zeros); topk's values are a recorded gather.
 */
export const sequenceRules = {
  cumsum: rule((dy, { attrs }) => [cumsum(dy, attrs.axis, { exclusive: attrs.exclusive, reverse: !attrs.reverse })], {
    inputs: false,
    output: false,
  }),
  flip: rule((dy, { attrs }) => [flip(dy, attrs.axes)], { inputs: false, output: false }),
} satisfies Partial<RuleTable>;

import { ArgumentError } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, RAdam, ReduceLROnPlateau, RMSprop, SGD } from '../src/index';
import { param, useCpu } from './helpers';

useCpu();

/** Keys every plain object answers `in` for ('__proto__' is an own key only as JSON.parse makes it). */
const INHERITED = ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf'];

/** `{ [key]: value }` as JSON.parse makes it: an own key, even for '__proto__'. */
const own = (key: string, value: unknown): Record<string, unknown> =>
  JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value)}}`);

describe.each(INHERITED)('an option named %j', (bad) => {
  it('is unknown to every optimizer, in the options and in a parameter group', () => {
    const makers = [
      (o: object) => new SGD([param([1])], o),
      (o: object) => new Adam([param([1])], o),
      (o: object) => new AdamW([param([1])], o),
      (o: object) => new RMSprop([param([1])], o),
      (o: object) => new Adagrad([param([1])], o),
      (o: object) => new NAdam([param([1])], o),
      (o: object) => new RAdam([param([1])], o),
      (o: object) => new Adamax([param([1])], o),
      (o: object) => new Adadelta([param([1])], o),
    ];
    for (const make of makers) {
      expect(() => make(own(bad, 0.1))).toThrow(ArgumentError);
      expect(() => make(own(bad, 0.1))).toThrow(new RegExp(`unknown option '${bad}' in options \\(known: lr, `));
    }
    const sgd = new SGD([param([1])], { lr: 0.1 });
    expect(() => sgd.addParamGroup({ params: [param([2])], ...own(bad, 1) } as never)).toThrow(
      new RegExp(`SGD: unknown option '${bad}' in a parameter group`),
    );
    expect(sgd.paramGroups).toHaveLength(1);
  });

  it('is unknown in a loaded state dict group', () => {
    const p = param([1, 2]);
    const adam = new Adam([p], { lr: 0.1 });
    const sd = adam.stateDict();
    const tampered = { ...sd, groups: [{ ...sd.groups[0], hyper: { ...sd.groups[0].hyper, ...own(bad, 1) } }] };
    expect(() => adam.loadStateDict(tampered as never)).toThrow(
      new RegExp(`unknown option '${bad}' in group 0 of the state dict`),
    );
    expect(adam.paramGroups[0].lr).toBe(0.1);
  });

  it('is no mode of ReduceLROnPlateau', () => {
    const opt = new SGD([param([1])], { lr: 0.1 });
    expect(() => new ReduceLROnPlateau(opt, { mode: bad as never })).toThrow(
      /ReduceLROnPlateau: mode must be one of 'min', 'max'/,
    );
  });
});

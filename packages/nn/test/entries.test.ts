import { describe, expect, it } from 'vitest';
import * as main from '../src/index';
import * as internal from '../src/internal';

/** @tsdl/nn/internal holds what keras shares with nn; none of it may reappear on the user entry. */
describe('@tsdl/nn entries', () => {
  it('@tsdl/nn/internal exports exactly the strict JSON parser and the fused recurrent sequence ops, and the main entry none of it', () => {
    expect(Object.keys(internal).sort()).toEqual([
      'JsonError',
      'gruSequence',
      'gruStates',
      'gruV1States',
      'lstmSequence',
      'lstmStates',
      'parseStrictJson',
      'rnnSequence',
      'rnnStates',
    ]);
    for (const name of Object.keys(internal)) expect(name in main, name).toBe(false);
  });

  it('the parser it shares refuses a duplicate key, which JSON.parse would drop silently', () => {
    expect(internal.parseStrictJson('{"a": [1, {"b": null}]}')).toEqual({ a: [1, { b: null }] });
    expect(() => internal.parseStrictJson('{"w": 1, "w": 2}')).toThrow(internal.JsonError);
  });
});

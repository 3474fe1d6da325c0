/**
 * A JSON parser for file headers that come from outside. JSON.parse keeps the
 * last of two equal keys (so a file could name a tensor twice and lose one
 * silently), puts a "__proto__" key on an object whose prototype lookups can
 * still surprise callers, and gives no bound on nesting. This parser builds
 * null-prototype objects (every key, "__proto__" included, is just a key),
 * rejects duplicate keys with the path to them, and caps nesting depth.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A syntax error, a duplicate key or too deep nesting; `at` is the character offset. */
export class JsonError extends Error {
  constructor(
    message: string,
    readonly at: number,
    /** Keys from the root down to the object holding a duplicate key (duplicates only). */
    readonly duplicate?: { path: string[]; key: string },
  ) {
    super(message);
    this.name = 'JsonError';
  }
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parses `text` as one JSON value (whitespace around it allowed); nesting deeper than `maxDepth` is an error. */
export function parseStrictJson(text: string, maxDepth = 64): Json {
  let i = 0;
  const path: string[] = [];

  const fail = (what: string): never => {
    const near = i < text.length ? JSON.stringify(text.slice(i, i + 12)) : 'the end';
    throw new JsonError(`${what} at character ${i} (near ${near})`, i);
  };
  const space = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
  };
  const literal = (word: string, v: Json): Json => {
    if (!text.startsWith(word, i)) fail('unexpected token');
    i += word.length;
    return v;
  };
  const string = (): string => {
    i++; // the opening quote
    let out = '';
    let run = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(run, i++);
        return out;
      }
      if (c < 0x20) fail('control character in a string');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(run, i);
      const e = text[i + 1];
      if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        if (e === undefined || !Object.hasOwn(ESCAPES, e)) fail('bad escape');
        out += ESCAPES[e];
        i += 2;
      }
      run = i;
    }
  };
  const value = (depth: number): Json => {
    space();
    const c = text[i];
    if (c === '{' || c === '[') {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`);
      return c === '{' ? object(depth + 1) : array(depth + 1);
    }
    if (c === '"') return string();
    if (c === 't') return literal('true', true);
    if (c === 'f') return literal('false', false);
    if (c === 'n') return literal('null', null);
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m || m[0] === '-') fail('unexpected token');
    i += m![0].length;
    return Number(m![0]);
  };
  const array = (depth: number): Json[] => {
    i++;
    const out: Json[] = [];
    space();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      out.push(value(depth));
      space();
      if (text[i] === ',') i++;
      else if (text[i] === ']') {
        i++;
        return out;
      } else fail("expected ',' or ']'");
    }
  };
  const object = (depth: number): { [key: string]: Json } => {
    i++;
    const out: { [key: string]: Json } = Object.create(null);
    space();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      space();
      if (text[i] !== '"') fail('expected a string key');
      const at = i;
      const key = string();
      if (Object.hasOwn(out, key)) {
        throw new JsonError(`duplicate key ${JSON.stringify(key)} at character ${at}`, at, { path: [...path], key });
      }
      space();
      if (text[i] !== ':') fail("expected ':'");
      i++;
      path.push(key);
      out[key] = value(depth);
      path.pop();
      space();
      if (text[i] === ',') i++;
      else if (text[i] === '}') {
        i++;
        return out;
      } else fail("expected ',' or '}'");
    }
  };

  const v = value(0);
  space();
  if (i !== text.length) fail('unexpected text after the JSON value');
  return v;
}

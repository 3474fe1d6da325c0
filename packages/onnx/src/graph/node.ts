import { DataFormatError } from '@tsdl/tensor';
import type { HostArray } from '../tensor-proto';
import type { AttrKind, AttrValue } from './attributes';

/**
 * A checked graph node: its operator, input and output names (an empty input
 * name is an omitted optional input), and decoded attributes with typed
 * getters that name the node and attribute when a file gives the wrong kind.
 */
export class GraphNode {
  constructor(
    readonly index: number,
    readonly opType: string,
    readonly name: string,
    readonly inputs: readonly string[],
    readonly outputs: readonly string[],
    readonly attrs: ReadonlyMap<string, AttrValue>,
    /** The file, for messages. */
    readonly source: string,
  ) {}

  /** "Conv node '/conv1/Conv'" (the first output names an unnamed node). */
  get label(): string {
    return `${this.opType} node '${this.name || this.outputs[0] || `#${this.index}`}'`;
  }

  /** The label with the file, as errors start. */
  get where(): string {
    return `${this.source}: ${this.label}`;
  }

  has(name: string): boolean {
    return this.attrs.has(name);
  }

  private get<K extends AttrKind>(name: string, kind: K): Extract<AttrValue, { kind: K }> | undefined {
    const a = this.attrs.get(name);
    if (!a) return undefined;
    if (a.kind !== kind) throw new DataFormatError(`${this.where}: attribute '${name}' must be ${kind}, got ${a.kind}`);
    return a as Extract<AttrValue, { kind: K }>;
  }

  private missing(name: string): never {
    throw new DataFormatError(`${this.where}: required attribute '${name}' is missing`);
  }

  int(name: string, dflt?: number): number {
    const v = this.get(name, 'int')?.value ?? dflt;
    return v === undefined ? this.missing(name) : v;
  }

  float(name: string, dflt?: number): number {
    const v = this.get(name, 'float')?.value ?? dflt;
    return v === undefined ? this.missing(name) : v;
  }

  string(name: string, dflt?: string): string {
    const v = this.get(name, 'string')?.value ?? dflt;
    return v === undefined ? this.missing(name) : v;
  }

  ints(name: string, dflt?: readonly number[]): number[] {
    const v = this.get(name, 'ints')?.value ?? dflt;
    return v === undefined ? this.missing(name) : [...v];
  }

  floats(name: string, dflt?: readonly number[]): number[] {
    const v = this.get(name, 'floats')?.value ?? dflt;
    return v === undefined ? this.missing(name) : [...v];
  }

  strings(name: string, dflt?: readonly string[]): string[] {
    const v = this.get(name, 'strings')?.value ?? dflt;
    return v === undefined ? this.missing(name) : [...v];
  }

  tensor(name: string): HostArray | undefined {
    return this.get(name, 'tensor')?.value;
  }

  /** An integer attribute that must be one of `allowed` (0/1 flags, enums). */
  intIn(name: string, dflt: number, allowed: readonly number[]): number {
    const v = this.int(name, dflt);
    if (!allowed.includes(v))
      throw new DataFormatError(`${this.where}: attribute '${name}' is ${v}; expected ${allowed.join(' or ')}`);
    return v;
  }

  /** Whether input i is given (present and not the empty name of an omitted optional input). */
  hasInput(i: number): boolean {
    return i < this.inputs.length && this.inputs[i] !== '';
  }
}

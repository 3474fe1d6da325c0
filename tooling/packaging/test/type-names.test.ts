import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, it } from 'vitest';

/**
 * One name, one meaning (docs/guides/options.md): no two packages export a type of one name unless
 * it is the same declaration re-exported (keras re-exporting nn's `StTensor` is fine; tensor's and
 * nn's `Conv2dOptions` with different fields are not). Classes are the exception the guide names:
 * nn and optim mirror PyTorch's classes and keras mirrors Keras', so `LSTM`, `Dropout` or
 * `ReduceLROnPlateau` may be a class in nn or optim and another in keras, and nowhere else.
 * Every entry counts, `./internal` ones included: a name tsdl packages share means one thing too.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Entry {
  file: string;
  pkg: string;
  specifier: string;
}

function entries(): Entry[] {
  const out: Entry[] = [];
  for (const dir of readdirSync(join(root, 'packages'))) {
    const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    for (const [subpath, target] of Object.entries<Record<string, unknown> | string>(manifest.exports ?? {})) {
      const source = typeof target === 'object' ? target['@tsdl/source'] : undefined;
      if (typeof source !== 'string') continue;
      out.push({
        file: resolve(root, 'packages', dir, source),
        pkg: manifest.name,
        specifier: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`,
      });
    }
  }
  return out;
}

interface Exported {
  specifier: string;
  pkg: string;
  /** file:position of the declaration the name resolves to. */
  declaration: string;
  isClass: boolean;
}

function exportedTypes(list: Entry[]): Map<string, Exported[]> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.docs.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('tsconfig.docs.json did not parse');
  const program = ts.createProgram(
    list.map((e) => e.file),
    config.options,
  );
  const checker = program.getTypeChecker();
  const byName = new Map<string, Exported[]>();
  for (const entry of list) {
    const source = program.getSourceFile(entry.file);
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`${entry.specifier}: no module at ${entry.file}`);
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (!(symbol.flags & ts.SymbolFlags.Type)) continue;
      const decl = symbol.declarations?.[0];
      if (!decl) continue;
      const list = byName.get(exported.name) ?? [];
      list.push({
        specifier: entry.specifier,
        pkg: entry.pkg,
        declaration: `${relative(root, decl.getSourceFile().fileName)}:${decl.getStart()}`,
        isClass: (symbol.flags & ts.SymbolFlags.Class) !== 0,
      });
      byName.set(exported.name, list);
    }
  }
  return byName;
}

// The packages whose classes mirror a library's: PyTorch's (nn, optim) beside Keras' (keras).
const MIRRORS = [['@tsdl/nn', '@tsdl/optim'], ['@tsdl/keras']];

function allowedClasses(found: Exported[]): boolean {
  if (!found.every((f) => f.isClass)) return false;
  const sides = new Set(found.map((f) => MIRRORS.findIndex((side) => side.includes(f.pkg))));
  // One declaration per side, each side a mirror.
  const perSide = new Map<number, Set<string>>();
  for (const f of found) {
    const side = MIRRORS.findIndex((s) => s.includes(f.pkg));
    perSide.set(side, (perSide.get(side) ?? new Set()).add(f.declaration));
  }
  return !sides.has(-1) && [...perSide.values()].every((d) => d.size === 1);
}

it('no two packages export one type name for different declarations', () => {
  const byName = exportedTypes(entries());
  const clashes: string[] = [];
  for (const [name, found] of byName) {
    if (new Set(found.map((f) => f.declaration)).size < 2 || allowedClasses(found)) continue;
    clashes.push(`${name}: ${found.map((f) => `${f.specifier} (${f.declaration})`).join(', ')}`);
  }
  expect(clashes, 'rename one (docs/guides/options.md) or re-export the other').toEqual([]);

  // The check sees what it should: both sides of a renamed pair, a shared re-export, a mirror class.
  const where = (name: string) => (byName.get(name) ?? []).map((f) => f.specifier);
  expect(where('Conv2dOptions')).toContain('@tsdl/tensor');
  expect(where('Conv2dModuleOptions')).toEqual(['@tsdl/nn']);
  expect(where('PartialShape')).toEqual(['@tsdl/keras']);
  expect(where('StTensor')).toEqual(expect.arrayContaining(['@tsdl/keras', '@tsdl/nn']));
  expect(new Set(byName.get('LSTM')?.map((f) => f.declaration)).size).toBe(2);
}, 120_000);

it('the class exception admits only mirror classes', () => {
  const cls = (pkg: string, declaration: string): Exported => ({ specifier: pkg, pkg, declaration, isClass: true });
  expect(allowedClasses([cls('@tsdl/nn', 'a'), cls('@tsdl/keras', 'b')])).toBe(true);
  expect(allowedClasses([cls('@tsdl/optim', 'a'), cls('@tsdl/keras', 'b')])).toBe(true);
  expect(allowedClasses([cls('@tsdl/tensor', 'a'), cls('@tsdl/keras', 'b')])).toBe(false);
  expect(allowedClasses([cls('@tsdl/nn', 'a'), cls('@tsdl/optim', 'b')])).toBe(false);
  expect(allowedClasses([{ ...cls('@tsdl/nn', 'a'), isClass: false }, cls('@tsdl/keras', 'b')])).toBe(false);
});

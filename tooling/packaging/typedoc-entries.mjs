// The API reference's entries and their names, shared by typedoc.config.mjs and its plugin:
// every export of every published package, as package.json names its source for the
// `@tsdl/source` condition, titled as users import it (`@tsdl/nn/node`, not `nn/src/node`).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Converter, ReflectionKind } from 'typedoc';

/** [{ file (absolute), name (the import specifier) }] for the packages under `root`. */
export function apiEntries(root = process.cwd()) {
  const entries = [];
  for (const dir of readdirSync(join(root, 'packages'))) {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    if (pkg.private) continue;
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      const source = typeof target === 'object' ? target['@tsdl/source'] : undefined;
      // An `./internal` subpath is for other tsdl packages, not users: no reference pages.
      if (!source || /(^|\/)internal$/.test(subpath)) continue;
      entries.push({
        file: resolve(root, 'packages', dir, source),
        name: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`,
      });
    }
  }
  return entries;
}

/** The plugin: names each entry's module after its import specifier. */
export function load(app) {
  const names = new Map(apiEntries().map((e) => [e.file, e.name]));
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module)) return;
    const file = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile().fileName;
    const name = file && names.get(resolve(file));
    if (name) reflection.name = name;
  });
}

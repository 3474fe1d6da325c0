// A rehearsal of a release that leaves the repository as it is: a temporary copy of what
// `pnpm release` reads (the root manifest, .changeset/, and each published package's
// manifest, README and built dist), versioned there by `changeset version`. The release
// dry run publishes from it with --dry-run; the packaging test packs it and installs the
// tarballs. `changeset version` consumes the changesets and rewrites manifests, which is
// why neither may run it in the repository itself.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The pnpm the README names; every pnpm command here runs through it. */
export const PNPM = ['npx', '-y', 'pnpm@9.15.9'];

/**
 * The path of that pnpm's executable, for callers that start it many times: each `npx` call
 * costs seconds of resolution on a busy 2-core machine, a direct start under one.
 */
export function pnpmBin() {
  const [, ...npx] = PNPM;
  return run('npx', [...npx.slice(0, 1), '-p', npx[1], '-c', 'command -v pnpm'], process.cwd()).trim();
}

const readJson = (f) => JSON.parse(readFileSync(f, 'utf8'));

/** Every workspace package (packages/, apps/, tooling/): name → { dir, manifest }. */
export function workspacePackages(root) {
  const all = new Map();
  for (const group of ['packages', 'apps', 'tooling']) {
    for (const d of readdirSync(join(root, group))) {
      const file = join(root, group, d, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = readJson(file);
      all.set(manifest.name, { dir: `${group}/${d}`, manifest });
    }
  }
  return all;
}

/** The packages a release publishes: packages/* that are not private, with their entry subpaths. */
export function publishedPackages(root) {
  return [...workspacePackages(root).entries()]
    .filter(([, p]) => p.dir.startsWith('packages/') && !p.manifest.private)
    .map(([name, p]) => ({
      name,
      dir: p.dir,
      version: p.manifest.version,
      subpaths: Object.keys(p.manifest.exports ?? { '.': null }).filter((s) => s !== './package.json'),
    }));
}

const DEP_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];

/**
 * Copies what a release reads into `dest` (an empty directory). pnpm turns `workspace:^` into
 * `^<version>` from the manifest under the package's node_modules, so each copied package gets
 * links there: to the copy of a published package (its new version), or to the workspace's own
 * directory for tooling (devDependencies, never versioned). The root node_modules is linked so
 * changesets finds its changelog module.
 */
export function makeReleaseCopy(root, dest) {
  const all = workspacePackages(root);
  const published = publishedPackages(root);
  const copied = new Set(published.map((p) => p.name));
  const linked = new Set();
  writeFileSync(join(dest, 'package.json'), readFileSync(join(root, 'package.json')));
  writeFileSync(join(dest, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n');
  cpSync(join(root, '.changeset'), join(dest, '.changeset'), { recursive: true });
  cpSync(join(root, 'LICENSE'), join(dest, 'LICENSE'));
  symlinkSync(join(root, 'node_modules'), join(dest, 'node_modules'), 'dir');
  for (const p of published) {
    const from = join(root, p.dir);
    const to = join(dest, p.dir);
    if (!existsSync(join(from, 'dist')))
      throw new Error(`release copy: ${p.name} is not built (no ${p.dir}/dist); run pnpm build`);
    mkdirSync(to, { recursive: true });
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist']) {
      if (existsSync(join(from, f))) cpSync(join(from, f), join(to, f), { recursive: true });
    }
    const manifest = readJson(join(from, 'package.json'));
    for (const field of DEP_FIELDS) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        if (!String(range).startsWith('workspace:')) continue;
        const target = copied.has(dep) ? join(dest, all.get(dep).dir) : join(root, all.get(dep).dir);
        const link = join(to, 'node_modules', dep);
        if (linked.has(link)) continue; // a peer that is also a devDependency
        linked.add(link);
        mkdirSync(join(link, '..'), { recursive: true });
        symlinkSync(target, link, 'dir');
      }
    }
  }
  return published;
}

/** Runs a command in `cwd`, throwing with its output when it fails. */
export function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${[cmd, ...args].join(' ')} (in ${cwd}) failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** `changeset version` in the copy: consumes the changesets, bumps versions, writes CHANGELOGs. */
export function versionCopy(root, dest) {
  return run(process.execPath, [join(root, 'node_modules', '@changesets', 'cli', 'bin.js'), 'version'], dest);
}

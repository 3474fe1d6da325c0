#!/usr/bin/env node
// `pnpm release:dry-run`: what `pnpm release` would publish, without changing the repository.
// In a temporary copy (release-copy.mjs): `changeset version`, then `pnpm publish -r --dry-run`.
// Needs the packages built (the root script builds first) and the registry (pnpm asks it which
// versions are already published).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeReleaseCopy, PNPM, versionCopy } from './release-copy.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dest = mkdtempSync(join(tmpdir(), 'tsdl-release-'));
try {
  const published = makeReleaseCopy(root, dest);
  process.stdout.write(versionCopy(root, dest));
  for (const p of published) {
    const next = JSON.parse(readFileSync(join(dest, p.dir, 'package.json'), 'utf8')).version;
    console.log(`${p.name}: ${p.version} -> ${next}`);
  }
  const [cmd, ...args] = PNPM;
  const r = spawnSync(cmd, [...args, 'publish', '-r', '--dry-run', '--no-git-checks'], { cwd: dest, stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(dest, { recursive: true, force: true });
}

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { publishedPackages } from '../release-copy.mjs';

/**
 * What the release rehearsal (pack.test.ts) would catch only after a build and a pack, checked
 * in milliseconds from the sources: the changesets a release will consume, the peer policy, and
 * publishConfig mirroring exports.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const packages = publishedPackages(root);
const names = new Set(packages.map((p) => p.name));
const manifest = (dir: string) => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));

/** A changeset's releases: its front matter's `"name": bump` lines. */
function parseChangeset(text: string, file: string): { name: string; bump: string }[] {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n([\s\S]*)$/.exec(text);
  if (!m) throw new Error(`${file}: no front matter between --- lines`);
  if (!m[2].trim()) throw new Error(`${file}: no description after the front matter`);
  return m[1]
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map((line) => {
      const r = /^\s*(["']?)(@?[\w./-]+)\1\s*:\s*(\w+)\s*$/.exec(line);
      if (!r) throw new Error(`${file}: '${line}' is not "package": bump`);
      return { name: r[2], bump: r[3] };
    });
}

describe('changesets', () => {
  const files = readdirSync(join(root, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  const major = Number(packages[0].version.split('.')[0]);

  it.each(files)('%s names published packages with a valid bump', (file) => {
    const releases = parseChangeset(readFileSync(join(root, '.changeset', file), 'utf8'), file);
    expect(releases.length, file).toBeGreaterThan(0);
    for (const { name, bump } of releases) {
      expect(names.has(name), `${file}: ${name} is not a published package (${[...names].join(', ')})`).toBe(true);
      // Before 1.0 a breaking change is a minor bump; a major would publish 1.0.0.
      expect(major === 0 ? ['patch', 'minor'] : ['patch', 'minor', 'major'], `${file}: ${name}: ${bump}`).toContain(
        bump,
      );
    }
  });

  it('the parser refuses what changesets would refuse', () => {
    expect(() => parseChangeset('"@tsdl/nn": patch\n', 'a.md')).toThrow(/front matter/);
    expect(() => parseChangeset('---\n"@tsdl/nn" patch\n---\n\nx\n', 'b.md')).toThrow(/is not "package": bump/);
    expect(() => parseChangeset('---\n"@tsdl/nn": patch\n---\n\n', 'c.md')).toThrow(/no description/);
    expect(parseChangeset('---\n\'@tsdl/nn\': minor\n"@tsdl/optim": patch\n---\n\nWhy.\n', 'd.md')).toEqual([
      { name: '@tsdl/nn', bump: 'minor' },
      { name: '@tsdl/optim', bump: 'patch' },
    ]);
  });

  it('version the published packages as one fixed group', () => {
    const config = JSON.parse(readFileSync(join(root, '.changeset', 'config.json'), 'utf8'));
    expect(config.fixed.map((g: string[]) => [...g].sort())).toEqual([[...names].sort()]);
    expect(new Set(packages.map((p) => p.version)).size).toBe(1);
  });
});

describe('published manifests', () => {
  // One copy per app of the packages whose module state or classes others share.
  const peers: Record<string, string[]> = {
    '@tsdl/nn': ['@tsdl/autograd'],
    '@tsdl/optim': ['@tsdl/autograd'],
    '@tsdl/keras': ['@tsdl/autograd', '@tsdl/nn'],
  };

  it.each(packages.filter((p) => p.name !== '@tsdl/tensor'))('$name takes the shared packages as peers', (p) => {
    const m = manifest(p.dir);
    for (const dep of ['@tsdl/tensor', ...(peers[p.name] ?? [])]) {
      expect(m.dependencies?.[dep], `${p.name}: ${dep} is not a dependency`).toBeUndefined();
      expect(m.peerDependencies?.[dep], `${p.name}: ${dep} peer range`).toBe('workspace:0.x');
      expect(m.devDependencies?.[dep], `${p.name}: ${dep} for its tests`).toBe('workspace:*');
    }
  });

  const strip = (v: unknown): unknown =>
    v && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v)
            .filter(([k]) => k !== '@tsdl/source')
            .map(([k, x]) => [k, strip(x)]),
        )
      : v;

  it.each(packages)('$name publishes its exports and imports without the @tsdl/source condition', (p) => {
    const m = manifest(p.dir);
    expect(m.publishConfig?.access).toBe('public');
    expect(m.publishConfig?.exports).toEqual(strip(m.exports));
    expect(m.publishConfig?.imports).toEqual(strip(m.imports));
  });
});

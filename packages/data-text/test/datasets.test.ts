import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, DataFormatError } from '@tsdl/tensor';
import { loadFirstNames, loadMobyDick, loadSpamAssassin, splitByPosition, type SpamAssassin } from '../src/index';

describe('loadSpamAssassin', () => {
  let data: SpamAssassin;
  beforeAll(async () => {
    data = await loadSpamAssassin();
  });

  it('reads all 6,046 emails, 1,896 of them spam', () => {
    const n = data.train.texts.length + data.test.texts.length;
    const spam = [...data.train.labels, ...data.test.labels].filter((l) => l === 1).length;
    expect(n).toBe(6046);
    expect(spam).toBe(1896);
    expect(data.classNames).toEqual(['ham', 'spam']);
  });

  it('splits each class 80/20 (stratified)', () => {
    const spamTest = data.test.labels.reduce((s, l) => s + l, 0);
    expect(data.test.texts.length).toBe(Math.round(0.2 * 1896) + Math.round(0.2 * 4150));
    expect(spamTest).toBe(Math.round(0.2 * 1896));
    expect(data.train.groups.filter((g) => g.startsWith('spam')).length).toBe(1896 - spamTest);
  });

  it('keeps only bodies by default: no header lines left', () => {
    const withHeaders = data.train.texts.filter((t) => /^(Return-Path|Received|Delivered-To): /m.test(t.slice(0, 200)));
    // A body may quote a forwarded message's headers; a handful do.
    expect(withHeaders.length).toBeLessThan(0.02 * data.train.texts.length);
    expect(data.train.texts.every((t) => !t.startsWith('From '))).toBe(true);
  });

  it('gives the same split for the same seed and another for another seed', async () => {
    const again = await loadSpamAssassin({ seed: 0, stripHeaders: false });
    expect(again.test.labels).toEqual(data.test.labels);
    expect(again.test.texts[0].startsWith('From ')).toBe(true);
    const other = await loadSpamAssassin({ seed: 1 });
    expect(other.test.texts).not.toEqual(data.test.texts);
  });

  it('rejects unknown options and bad fractions', async () => {
    await expect(loadSpamAssassin({ testfraction: 0.1 } as never)).rejects.toThrow(/unknown option 'testfraction'/);
    await expect(loadSpamAssassin({ testFraction: 1 })).rejects.toThrow(ArgumentError);
  });
});

describe('a broken data directory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsdl-data-text-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('names the missing file list', async () => {
    const err = await loadSpamAssassin({ dir }).catch((e) => e);
    expect(err).toBeInstanceOf(DataFormatError);
    expect(err.message).toContain(join(dir, 'file_list.json'));
  });

  it('names the file and field of a malformed record', async () => {
    await mkdir(join(dir, 'spam-1'), { recursive: true });
    await writeFile(join(dir, 'file_list.json'), JSON.stringify(['spam-1/a.txt', 'spam-1/b.txt']));
    await writeFile(join(dir, 'spam-1/a.json'), JSON.stringify({ group: 'spam-1', text: 'hi' }));
    await writeFile(join(dir, 'spam-1/b.json'), JSON.stringify({ group: 'spam-1', text: 5 }));
    await expect(loadSpamAssassin({ dir })).rejects.toThrow(/spam-1\/b\.json: field 'text' is missing or not a string/);
    await writeFile(join(dir, 'spam-1/b.json'), '{"group": "spam-1", "te');
    await expect(loadSpamAssassin({ dir })).rejects.toThrow(/spam-1\/b\.json: not valid JSON/);
    await writeFile(join(dir, 'spam-1/b.json'), JSON.stringify({ group: 'spam-3', text: 'x' }));
    await expect(loadSpamAssassin({ dir })).rejects.toThrow(/field 'group' is 'spam-3'/);
  });
});

describe('loadMobyDick', () => {
  it('reads 135 chapters and the epilogue, 1,186,635 characters of text', async () => {
    const book = await loadMobyDick();
    expect(book.chapters.length).toBe(136);
    expect(book.chapters[0].title).toBe('Loomings.');
    expect(book.chapters[135].chapter).toBe('Epilogue');
    expect(book.text.startsWith('Call me Ishmael.')).toBe(true);
    expect(book.text.length).toBe(1186635 + 2 * 135);
    const ids = book.vocab.encode(book.text);
    expect(book.vocab.decode(ids)).toBe(book.text);
    expect(ids.reduce((m, x) => Math.max(m, x), 0)).toBe(book.vocab.size - 1);
    const { train, val } = splitByPosition(ids, 0.9);
    expect(train.length).toBe(Math.floor(ids.length * 0.9));
    expect(train.length + val.length).toBe(ids.length);
  });

  it('includes the front matter when asked', async () => {
    const book = await loadMobyDick({ frontMatter: true });
    expect(book.chapters.length).toBe(139);
    expect(book.chapters[0].text.startsWith('CONTENTS')).toBe(true);
  });
});

describe('loadFirstNames', () => {
  it('reads both lists and their union without duplicates', async () => {
    const female = await loadFirstNames({ sex: 'female' });
    const male = await loadFirstNames({ sex: 'male' });
    const all = await loadFirstNames();
    expect(female.length).toBe(4944); // the package lists 4,951 with 7 repeated
    expect(male.length).toBe(3897);
    expect(all.length).toBe(8422);
    expect(all).toContain('Abigail');
    const lower = await loadFirstNames({ lowercase: true });
    expect(lower.every((n) => n === n.toLowerCase())).toBe(true);
  });

  it('rejects a bad sex and unknown options', async () => {
    await expect(loadFirstNames({ sex: 'other' as never })).rejects.toThrow(ArgumentError);
    await expect(loadFirstNames({ gender: 'male' } as never)).rejects.toThrow(/unknown option 'gender'/);
  });
});

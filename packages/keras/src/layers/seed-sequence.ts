/**
 * The seeds of a random layer's successive calls: a seeded layer repeats its
 * sequence of draws from one construction to the next (as Keras' SeedGenerator),
 * and each call draws anew. Unseeded, every call takes the global generator.
 */
export class SeedSequence {
  private next: number | undefined;
  constructor(readonly seed: number | undefined) {
    this.next = seed;
  }
  take(): number | undefined {
    const s = this.next;
    if (s !== undefined) this.next = s + 1;
    return s;
  }
}

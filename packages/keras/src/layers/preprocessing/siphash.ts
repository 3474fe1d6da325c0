/**
 * SipHash-2-4 with a 128-bit key given as two 64-bit words, the keyed hash TensorFlow's
 * `tf.strings.to_hash_bucket_strong` (Keras' Hashing with a salt) applies to a string's
 * UTF-8 bytes. BigInt over 64-bit words; checked against the reference test vector and
 * Keras' documented outputs in the tests.
 */
const M = (1n << 64n) - 1n;
const rotl = (v: bigint, s: bigint): bigint => ((v << s) | (v >> (64n - s))) & M;

export function siphash24(k0: bigint, k1: bigint, m: Uint8Array): bigint {
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & M;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & M;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & M;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const n = m.length;
  const full = n - (n % 8);
  for (let i = 0; i < full; i += 8) {
    let word = 0n;
    for (let k = 7; k >= 0; k--) word = (word << 8n) | BigInt(m[i + k]);
    v3 ^= word;
    round();
    round();
    v0 ^= word;
  }
  let last = BigInt(n & 0xff) << 56n;
  for (let k = n - 1; k >= full; k--) last |= BigInt(m[k]) << BigInt(8 * (k - full));
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xffn;
  round();
  round();
  round();
  round();
  return v0 ^ v1 ^ v2 ^ v3;
}

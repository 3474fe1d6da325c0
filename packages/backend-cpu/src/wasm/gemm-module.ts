import { type Code, type Local, ModuleBuilder, OP, SIMD, T } from './emitter';

/**
 * Generates the SIMD matmul module: a register-blocked micro-kernel, the loop
 * over one packed block (the "macro-kernel"), and the two packing routines,
 * in the BLIS arrangement:
 *
 *   packed A block: panels of MR rows, each [kc][MR] (the MR values of one k adjacent)
 *   packed B block: panels of NR columns, each [kc][NR]
 *   micro-kernel:   C[MR×NR] (+)= Apanel · Bpanel, MR·NV f32x4 accumulators in registers
 *
 * Per k the micro-kernel loads NV vectors of B, splats MR values of A and
 * does MR·NV multiply-adds: f32x4.relaxed_madd where the engine has relaxed
 * SIMD (`fused`), else a multiply and an add (Zen-class cores issue two of
 * each per cycle, so that reaches the same peak; the tile shapes below say
 * what keeps it from it). Packing handles every stride pattern (a transposed operand is
 * just cs ≠ 1), so all transpose combinations run the same inner loop, and
 * pads edge panels with zeros, so the micro-kernel is always full-size and
 * edge tiles go through a small scratch tile. Nothing skips zeros, so
 * 0·Inf and NaN propagate as in IEEE arithmetic.
 *
 * All pointers are byte addresses in the imported memory; strides passed to
 * the packers are in elements.
 */

export interface GemmShape {
  /** Rows of the micro-tile. */
  mr: number;
  /** f32x4 vectors per row of the micro-tile (NR = 4·NV columns). */
  nv: number;
  /** k-loop unroll factor of the micro-kernel. */
  unroll: number;
}

/**
 * The micro-tile for f32x4.mul + f32x4.add: 2×16, not unrolled. V8's
 * optimizing compiler schedules the loads of a loop body ahead of its
 * arithmetic, so an unrolled body keeps unroll·(NV + MR) loaded vectors live
 * beside the MR·NV accumulators: unrolled 4, the former 4×8 tile spilled to
 * the stack every step (x64 has 16 xmm registers, one of them V8's scratch).
 * Unrolled 1, nothing spills, and the two FP pipes for multiplies and two for
 * adds could run at peak; what is left is the instructions around them: every
 * splat of A at a non-zero offset costs V8 an address computation (B's loads
 * fold their offsets), so 2×16 (8 accumulators, 4 B vectors, a splat, a
 * product: 14 registers, 2 splats a step) issues fewer per multiply-add than
 * 4×8 (4 splats). Measured on a Zen 5 core, one thread, n = 128…1024: 4×8
 * unrolled 4 ran at 32 GFLOP/s, unrolled 1 at 41, 2×16 at 49–53; 5×8, 6×8,
 * 3×12, 4×12 and 8×4 need more registers or splats and ran at 19–28.
 */
export const MUL_ADD_SHAPE: GemmShape = { mr: 2, nv: 4, unroll: 1 };

/**
 * The micro-tile for f32x4.relaxed_madd (one vfmadd231ps on x64, no product
 * register): 6×8, 12 accumulators, 2 B vectors and a splat in 15 registers,
 * measured 52 GFLOP/s on one Zen 5 core against 49 for 4×8 and 48 for 2×16
 * fused (3×16 and 4×12 fused need 16 registers or more and spill).
 */
export const FUSED_SHAPE: GemmShape = { mr: 6, nv: 2, unroll: 1 };

/**
 * Block sizes of the driver: a packed A block (MC×KC, 128 KiB) stays in L2, a
 * B micro-panel (KC×NR, 8 KiB) in L1, a packed B block (KC×NC) in L3.
 */
export function blocking(shape: GemmShape): { MC: number; KC: number; NC: number } {
  const nr = 4 * shape.nv;
  return { MC: Math.floor(128 / shape.mr) * shape.mr, KC: 256, NC: Math.floor(2048 / nr) * nr };
}

/** Scratch bytes one thread needs for packed blocks and the edge tile. */
export function scratchBytes(shape: GemmShape): { aPack: number; bPack: number; tile: number } {
  const { MC, KC, NC } = blocking(shape);
  const nr = 4 * shape.nv;
  return { aPack: (MC + shape.mr) * KC * 4, bPack: (NC + nr) * KC * 4, tile: shape.mr * nr * 4 };
}

export interface GemmExports {
  /**
   * C (+)= A·B for M×K times K×N: the whole blocked loop (BLIS order). a, b, c
   * are byte addresses; ars/acs, brs/bcs and ldc are element strides; acc 1
   * adds to C; aPack, bPack, tile are this thread's scratch.
   */
  gemm(
    M: number,
    K: number,
    N: number,
    a: number,
    ars: number,
    acs: number,
    b: number,
    brs: number,
    bcs: number,
    c: number,
    ldc: number,
    acc: number,
    aPack: number,
    bPack: number,
    tile: number,
  ): void;
  /** Packs A[mc×kc] (element strides rs, cs from byte address src) into dst. */
  packA(src: number, rs: number, cs: number, mc: number, kc: number, dst: number): void;
  /** Packs B[kc×nc] into dst. */
  packB(src: number, rs: number, cs: number, kc: number, nc: number, dst: number): void;
  /** C[mc×nc] (+)= packedA · packedB over kc; ldc in bytes; acc 0 overwrites C, 1 adds to it; tile: MR·NR floats of scratch. */
  macro(
    mc: number,
    nc: number,
    kc: number,
    a: number,
    b: number,
    c: number,
    ldc: number,
    acc: number,
    tile: number,
  ): void;
}

/** i32 min(a, b) of two locals onto the stack. */
function min(c: Code, a: Local, b: Local): Code {
  return c.get(a).get(b).get(a).get(b).op(OP.i32_lt_s).op(OP.select);
}

function emitMicro(m: ModuleBuilder, { mr, nv, unroll }: GemmShape, fused: boolean): number {
  const nr = 4 * nv;
  return m.func(undefined, [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32], [], (c, kc, a, b, cp, ldc, acc) => {
    const accs: Local[][] = [];
    for (let r = 0; r < mr; r++) accs.push(Array.from({ length: nv }, () => c.local(T.v128)));
    const bv = Array.from({ length: nv }, () => c.local(T.v128));
    const av = c.local(T.v128);
    const row = c.local(T.i32);
    const k = c.local(T.i32);

    // Accumulators start from C (acc = 1) or from zero.
    c.get(acc).if(
      () => {
        c.get(cp).set(row);
        for (let r = 0; r < mr; r++) {
          for (let v = 0; v < nv; v++)
            c.get(row)
              .v128Load(v * 16)
              .set(accs[r][v]);
          if (r < mr - 1) c.addLocal(row, ldc);
        }
      },
      () => {
        for (let r = 0; r < mr; r++) for (let v = 0; v < nv; v++) c.f32x4Const(0).set(accs[r][v]);
      },
    );

    // One k step at constant offsets from the a and b pointers.
    const step = (u: number) => {
      for (let v = 0; v < nv; v++)
        c.get(b)
          .v128Load((u * nr + v * 4) * 4)
          .set(bv[v]);
      for (let r = 0; r < mr; r++) {
        c.get(a)
          .simdMem(SIMD.v128_load32_splat, 2, (u * mr + r) * 4)
          .set(av);
        for (let v = 0; v < nv; v++) {
          if (fused) c.get(av).get(bv[v]).get(accs[r][v]).simd(SIMD.f32x4_relaxed_madd).set(accs[r][v]);
          else c.get(accs[r][v]).get(av).get(bv[v]).simd(SIMD.f32x4_mul).simd(SIMD.f32x4_add).set(accs[r][v]);
        }
      }
    };

    c.get(kc).set(k);
    // Unrolled main loop while k >= unroll.
    if (unroll > 1)
      c.block(() => {
        c.loop(() => {
          c.get(k).i32(unroll).op(OP.i32_lt_s).brIf(1);
          for (let u = 0; u < unroll; u++) step(u);
          c.addTo(a, unroll * mr * 4)
            .addTo(b, unroll * nr * 4)
            .addTo(k, -unroll)
            .br(0);
        });
      });
    // One k at a time (the remainder, or the whole loop when unroll is 1).
    c.block(() => {
      c.loop(() => {
        c.get(k).i32(1).op(OP.i32_lt_s).brIf(1);
        step(0);
        c.addTo(a, mr * 4)
          .addTo(b, nr * 4)
          .addTo(k, -1)
          .br(0);
      });
    });

    c.get(cp).set(row);
    for (let r = 0; r < mr; r++) {
      for (let v = 0; v < nv; v++)
        c.get(row)
          .get(accs[r][v])
          .v128Store(v * 16);
      if (r < mr - 1) c.addLocal(row, ldc);
    }
  });
}

function emitMacro(m: ModuleBuilder, shape: GemmShape, micro: number): number {
  const { mr, nv } = shape;
  const nr = 4 * nv;
  return m.func(
    'macro',
    [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32],
    [],
    (c, mc, nc, kc, a, b, cp, ldc, acc, tile) => {
      const jr = c.local(T.i32);
      const ir = c.local(T.i32);
      const nrem = c.local(T.i32);
      const mrem = c.local(T.i32);
      const bp = c.local(T.i32);
      const ap = c.local(T.i32);
      const ct = c.local(T.i32);
      const i = c.local(T.i32);
      const j = c.local(T.i32);
      const dst = c.local(T.i32);
      const src = c.local(T.i32);
      const NR = c.local(T.i32);
      const MR = c.local(T.i32);
      c.i32(nr).set(NR).i32(mr).set(MR);
      c.for(jr, 0, nc, nr, () => {
        // nrem = min(NR, nc - jr); bp = b + jr·kc·4
        c.get(nc).get(jr).op(OP.i32_sub).set(nrem);
        min(c, NR, nrem).set(nrem);
        c.get(b).get(jr).get(kc).op(OP.i32_mul).i32(4).op(OP.i32_mul).op(OP.i32_add).set(bp);
        c.for(ir, 0, mc, mr, () => {
          c.get(mc).get(ir).op(OP.i32_sub).set(mrem);
          min(c, MR, mrem).set(mrem);
          c.get(a).get(ir).get(kc).op(OP.i32_mul).i32(4).op(OP.i32_mul).op(OP.i32_add).set(ap);
          // ct = cp + ir·ldc + jr·4
          c.get(cp).get(ir).get(ldc).op(OP.i32_mul).op(OP.i32_add).get(jr).i32(4).op(OP.i32_mul).op(OP.i32_add).set(ct);
          c.get(mrem).i32(mr).op(OP.i32_eq).get(nrem).i32(nr).op(OP.i32_eq).op(OP.i32_and);
          c.if(
            () => {
              c.get(kc).get(ap).get(bp).get(ct).get(ldc).get(acc).call(micro);
            },
            () => {
              // Edge tile: compute the full tile into scratch, then copy (or add) its valid part.
              c.get(kc)
                .get(ap)
                .get(bp)
                .get(tile)
                .i32(nr * 4)
                .i32(0)
                .call(micro);
              const copy = (add: boolean) =>
                c.for(i, 0, mrem, 1, () => {
                  c.get(ct).get(i).get(ldc).op(OP.i32_mul).op(OP.i32_add).set(dst);
                  c.get(tile)
                    .get(i)
                    .i32(nr * 4)
                    .op(OP.i32_mul)
                    .op(OP.i32_add)
                    .set(src);
                  c.for(j, 0, nrem, 1, () => {
                    c.get(dst).get(src).f32Load();
                    if (add) c.get(dst).f32Load().op(OP.f32_add);
                    c.f32Store();
                    c.addTo(dst, 4).addTo(src, 4);
                  });
                });
              c.get(acc).if(
                () => copy(true),
                () => copy(false),
              );
            },
          );
        });
      });
    },
  );
}

/**
 * Emits pack(src, rs, cs, outer, kc, dst) for one operand: panels of `w`
 * lines across `outer` (rows of A, columns of B), each panel [kc][w].
 * `lineStride`/`kStride` name which of rs/cs steps across lines and along k.
 * A full panel whose lines are adjacent in memory (lineStride 1) copies
 * f32x4 at a time; other full panels gather scalars; the last, partial
 * panel is zeroed then filled.
 */
function emitPack(m: ModuleBuilder, exportName: string, w: number, isA: boolean): number {
  return m.func(exportName, [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32], [], (c, src, rs, cs, p3, p4, dst) => {
    // A: (mc, kc) with lines = rows (stride rs), k along cs. B: (kc, nc) with lines = columns (stride cs), k along rs.
    const outer = isA ? p3 : p4;
    const kc = isA ? p4 : p3;
    const lineStride = isA ? rs : cs;
    const kStride = isA ? cs : rs;
    const ls4 = c.local(T.i32);
    const ks4 = c.local(T.i32);
    const l0 = c.local(T.i32);
    const rem = c.local(T.i32);
    const k = c.local(T.i32);
    const pk = c.local(T.i32);
    const q = c.local(T.i32);
    const r = c.local(T.i32);
    const z = c.local(T.i32);
    const zend = c.local(T.i32);
    c.get(lineStride).i32(2).op(OP.i32_shl).set(ls4);
    c.get(kStride).i32(2).op(OP.i32_shl).set(ks4);
    c.for(l0, 0, outer, w, () => {
      c.get(outer).get(l0).op(OP.i32_sub).set(rem);
      // pk = src + l0·lineStride·4: the first line of this panel at k = 0.
      c.get(src).get(l0).get(ls4).op(OP.i32_mul).op(OP.i32_add).set(pk);
      c.get(rem).i32(w).op(OP.i32_ge_s);
      c.if(
        () => {
          c.get(lineStride).i32(1).op(OP.i32_eq);
          c.if(
            () => {
              // Lines adjacent: the w values of one k are contiguous.
              c.for(k, 0, kc, 1, () => {
                let o = 0;
                for (; o + 4 <= w; o += 4)
                  c.get(dst)
                    .get(pk)
                    .v128Load(o * 4)
                    .v128Store(o * 4);
                for (; o < w; o++)
                  c.get(dst)
                    .get(pk)
                    .f32Load(o * 4)
                    .f32Store(o * 4);
                c.addTo(dst, w * 4).addLocal(pk, ks4);
              });
            },
            () => {
              // Each line contiguous along k (a row-major A, a transposed B): four k at a time.
              c.i32(0).set(k);
              if (w % 2 === 0) {
                c.get(kStride).i32(1).op(OP.i32_eq);
                c.if(() => interleaveK(c, w, pk, ls4, kc, k, q, dst));
              }
              // One k at a time: all of k, or what interleaveK left.
              c.for(k, null, kc, 1, () => {
                c.get(pk).set(q);
                for (let o = 0; o < w; o++) {
                  c.get(dst)
                    .get(q)
                    .f32Load()
                    .f32Store(o * 4);
                  if (o < w - 1) c.addLocal(q, ls4);
                }
                c.addTo(dst, w * 4).addLocal(pk, ks4);
              });
            },
          );
        },
        () => {
          // Partial panel: zero kc·w floats, then copy the rem valid lines.
          c.get(dst)
            .get(kc)
            .i32(w * 4)
            .op(OP.i32_mul)
            .op(OP.i32_add)
            .set(zend);
          c.get(dst).set(z);
          c.block(() => {
            c.loop(() => {
              c.get(z).get(zend).op(OP.i32_ge_u).brIf(1);
              c.get(z).f32(0).f32Store();
              c.addTo(z, 4).br(0);
            });
          });
          c.for(r, 0, rem, 1, () => {
            // q walks line r along k; z walks its slot in the panel.
            c.get(pk).get(r).get(ls4).op(OP.i32_mul).op(OP.i32_add).set(q);
            c.get(dst).get(r).i32(4).op(OP.i32_mul).op(OP.i32_add).set(z);
            c.for(k, 0, kc, 1, () => {
              c.get(z).get(q).f32Load().f32Store();
              c.addTo(z, w * 4).addLocal(q, ks4);
            });
          });
          c.get(zend).set(dst);
        },
      );
    });
  });
}

/** Shuffle lanes (bytes) taking f32 lanes (x0, y0, x1, y1), and (x2, y2, x3, y3), of two vectors x, y. */
const INTERLEAVE_LOW = [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23];
const INTERLEAVE_HIGH = [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31];

/**
 * Packs the k < kc & ~3 part of a full panel of `w` (even) lines, each contiguous along k, from
 * pk (line stride ls4 bytes) into dst as [k][w]: per pair of lines, four k of each are loaded as
 * two vectors and interleaved, so each 64-bit lane is the pair's two values at one k. Leaves k,
 * pk and dst where the scalar loop goes on with the remaining k.
 */
function interleaveK(c: Code, w: number, pk: Local, ls4: Local, kc: Local, k: Local, q: Local, dst: Local): void {
  const x = c.local(T.v128);
  const y = c.local(T.v128);
  const lo = c.local(T.v128);
  const hi = c.local(T.v128);
  const end = c.local(T.i32);
  c.get(kc).i32(-4).op(OP.i32_and).set(end);
  c.for(k, 0, end, 4, () => {
    c.get(pk).set(q);
    for (let r = 0; r < w; r += 2) {
      c.get(q).v128Load().set(x);
      c.get(q).get(ls4).op(OP.i32_add).v128Load().set(y);
      c.get(x)
        .get(y)
        .simd(SIMD.i8x16_shuffle, ...INTERLEAVE_LOW)
        .set(lo);
      c.get(x)
        .get(y)
        .simd(SIMD.i8x16_shuffle, ...INTERLEAVE_HIGH)
        .set(hi);
      if (w === 2) {
        c.get(dst).get(lo).v128Store(0);
        c.get(dst).get(hi).v128Store(16);
      } else {
        // Lane j of lo/hi holds k + j / k + 2 + j: row k of the panel starts at k·w floats.
        const lane = (v: Local, j: number, kOff: number) =>
          c
            .get(dst)
            .get(v)
            .simdMem(SIMD.v128_store64_lane, 0, (kOff * w + r) * 4)
            .op(j);
        lane(lo, 0, 0);
        lane(lo, 1, 1);
        lane(hi, 0, 2);
        lane(hi, 1, 3);
      }
      if (r + 2 < w) c.get(q).get(ls4).op(OP.i32_add).get(ls4).op(OP.i32_add).set(q);
    }
    c.addTo(dst, 4 * w * 4).addTo(pk, 16);
  });
}

/** The blocked loop over packA / packB / macro (see GemmExports.gemm). */
function emitDriver(m: ModuleBuilder, shape: GemmShape, packA: number, packB: number, macro: number): void {
  const { MC, KC, NC } = blocking(shape);
  const params = new Array(15).fill(T.i32);
  m.func('gemm', params, [], (c, M, K, N, a, ars, acs, b, brs, bcs, cp, ldc, acc, aPack, bPack, tile) => {
    const jc = c.local(T.i32);
    const pc = c.local(T.i32);
    const ic = c.local(T.i32);
    const nc = c.local(T.i32);
    const kc = c.local(T.i32);
    const mc = c.local(T.i32);
    const lim = c.local(T.i32);
    const accNow = c.local(T.i32);
    /** dst = min(blockSize, total - start) */
    const remaining = (dst: Local, total: Local, start: Local, blockSize: number) => {
      c.i32(blockSize).set(lim);
      c.get(total).get(start).op(OP.i32_sub).set(dst);
      min(c, lim, dst).set(dst);
    };
    /** base + (i·s1 + j·s2)·4 onto the stack */
    const addr = (base: Local, i: Local, s1: Local, j: Local, s2: Local) =>
      c
        .get(base)
        .get(i)
        .get(s1)
        .op(OP.i32_mul)
        .get(j)
        .get(s2)
        .op(OP.i32_mul)
        .op(OP.i32_add)
        .i32(2)
        .op(OP.i32_shl)
        .op(OP.i32_add);
    c.for(jc, 0, N, NC, () => {
      remaining(nc, N, jc, NC);
      c.for(pc, 0, K, KC, () => {
        remaining(kc, K, pc, KC);
        addr(b, pc, brs, jc, bcs).get(brs).get(bcs).get(kc).get(nc).get(bPack).call(packB);
        // Later K blocks add to what the first wrote.
        c.get(acc).get(pc).i32(0).op(OP.i32_gt_s).op(OP.i32_or).set(accNow);
        c.for(ic, 0, M, MC, () => {
          remaining(mc, M, ic, MC);
          addr(a, ic, ars, pc, acs).get(ars).get(acs).get(mc).get(kc).get(aPack).call(packA);
          c.get(mc).get(nc).get(kc).get(aPack).get(bPack);
          // c + (ic·ldc + jc)·4, ldc·4
          c.get(cp).get(ic).get(ldc).op(OP.i32_mul).get(jc).op(OP.i32_add).i32(2).op(OP.i32_shl).op(OP.i32_add);
          c.get(ldc).i32(2).op(OP.i32_shl);
          c.get(accNow).get(tile).call(macro);
        });
      });
    });
  });
}

/**
 * The module's bytes for a memory imported as env.memory. `fused` emits
 * `f32x4.relaxed_madd` for the micro-kernel's multiply-adds (the engine must
 * support relaxed SIMD: relaxed-simd.ts), else f32x4.mul then f32x4.add.
 */
export function gemmModuleBytes(shape: GemmShape, shared: boolean, fused = false): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 0, 65536, shared);
  const micro = emitMicro(m, shape, fused);
  const macro = emitMacro(m, shape, micro);
  const packA = emitPack(m, 'packA', shape.mr, true);
  const packB = emitPack(m, 'packB', shape.nv * 4, false);
  emitDriver(m, shape, packA, packB, macro);
  return m.bytes();
}

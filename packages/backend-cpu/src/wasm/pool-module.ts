import { type Code, type Local, ModuleBuilder, OP, SIMD, T } from './emitter';

/**
 * Max and average pooling over NHWC windows and their gradients as wasm SIMD,
 * four channels at a time (callers use it when the channel count is a
 * multiple of 4). Semantics match the JS kernels (pool.ts): cells in the
 * padding are skipped and not counted; the max keeps the first of equal
 * values (pmax, so -0 then +0 stays -0) and takes any NaN; the max gradient
 * goes to the first maximum in window order, a NaN only when it comes first.
 * The average sums in float32 (the JS kernel in float64).
 *
 * Every function takes (x, y, batch, inH, inW, C, outH, outW, kH, kW,
 * strideH, strideW, padTop, padLeft) with byte addresses x and y:
 *   maxPool / avgPool:  x input, y output
 *   avgPoolGrad:        x = dx (zeroed, accumulated into), y = dy
 *   maxPoolGrad:        (x, dy, dx, ...): one more address
 *   maxPoolGradTiled:   the same, for windows that do not overlap (stride ≥ window): each
 *                       cell's gradient is stored, not added, as four lanes at once
 */

export interface PoolExports {
  maxPool(x: number, out: number, ...geometry: number[]): void;
  avgPool(x: number, out: number, ...geometry: number[]): void;
  avgPoolGrad(dx: number, dy: number, ...geometry: number[]): void;
  maxPoolGrad(x: number, dy: number, dx: number, ...geometry: number[]): void;
  maxPoolGradTiled(x: number, dy: number, dx: number, ...geometry: number[]): void;
}

export type PoolKind = 'maxPool' | 'avgPool' | 'avgPoolGrad' | 'maxPoolGrad' | 'maxPoolGradTiled';

/** How many byte addresses a kind takes before its geometry. */
function poolAddresses(kind: PoolKind): number {
  return kind === 'maxPoolGrad' || kind === 'maxPoolGradTiled' ? 3 : 2;
}

/** Adds one kind's function; returns its index. */
function emit(m: ModuleBuilder, kind: PoolKind): number {
  const nAddr = poolAddresses(kind);
  const params = new Array(nAddr + 12).fill(T.i32);
  return m.func(kind, params, [], (c, ...p) => {
    const [x, y, dxp] = nAddr === 3 ? p : [p[0], p[1], -1];
    const [batch, inH, inW, C, outH, outW, kH, kW, sH, sW, pT, pL] = p.slice(nAddr);
    const n = c.local(T.i32);
    const oy = c.local(T.i32);
    const ox = c.local(T.i32);
    const ya = c.local(T.i32);
    const yb = c.local(T.i32);
    const xa = c.local(T.i32);
    const xb = c.local(T.i32);
    const yy = c.local(T.i32);
    const xx = c.local(T.i32);
    const ch = c.local(T.i32);
    const img = c.local(T.i32);
    const imgBytes = c.local(T.i32);
    const q = c.local(T.i32);
    const cell = c.local(T.i32);
    const lim = c.local(T.i32);
    const acc = c.local(T.v128);
    const v = c.local(T.v128);
    const idx = c.local(T.v128);
    const lanes = c.local(T.v128);
    const mask = c.local(T.v128);
    const at = c.local(T.i32);

    c.get(inH).get(inW).op(OP.i32_mul).get(C).op(OP.i32_mul).i32(2).op(OP.i32_shl).set(imgBytes);
    c.i32x4Const(0, 4, 8, 12).set(lanes);
    c.get(y).set(q); // walks the pooled tensor (output, or dy for the gradients)
    c.get(x).set(img);
    /** dst = clamp(o·stride − pad + (end ? k : 0), 0 .. size) */
    const bound = (dst: Local, o: Local, stride: Local, pad: Local, k: Local | null, size: Local) => {
      c.get(o).get(stride).op(OP.i32_mul).get(pad).op(OP.i32_sub);
      if (k !== null) c.get(k).op(OP.i32_add);
      c.set(dst);
      if (k === null) {
        c.i32(0).set(lim);
        c.get(dst).get(lim).get(dst).get(lim).op(OP.i32_gt_s).op(OP.select).set(dst); // max(dst, 0)
      } else {
        c.get(dst).get(size).get(dst).get(size).op(OP.i32_lt_s).op(OP.select).set(dst); // min(dst, size)
      }
    };
    /** body() once per window cell, with `cell` the byte address of its channel vector ch. */
    const cells = (body: () => void) => {
      c.get(ya).set(yy);
      c.block(() =>
        c.loop(() => {
          c.get(yy).get(yb).op(OP.i32_ge_s).brIf(1);
          c.get(xa).set(xx);
          c.block(() =>
            c.loop(() => {
              c.get(xx).get(xb).op(OP.i32_ge_s).brIf(1);
              // cell = img + ((yy·inW + xx)·C + ch)·4
              c.get(img)
                .get(yy)
                .get(inW)
                .op(OP.i32_mul)
                .get(xx)
                .op(OP.i32_add)
                .get(C)
                .op(OP.i32_mul)
                .get(ch)
                .op(OP.i32_add)
                .i32(2)
                .op(OP.i32_shl)
                .op(OP.i32_add)
                .set(cell);
              body();
              c.addTo(xx, 1).br(0);
            }),
          );
          c.addTo(yy, 1).br(0);
        }),
      );
    };
    c.for(n, 0, batch, 1, () => {
      c.for(oy, 0, outH, 1, () => {
        bound(ya, oy, sH, pT, null, inH);
        bound(yb, oy, sH, pT, kH, inH);
        c.for(ox, 0, outW, 1, () => {
          bound(xa, ox, sW, pL, null, inW);
          bound(xb, ox, sW, pL, kW, inW);
          c.for(ch, 0, C, 4, () => {
            if (kind === 'maxPool') {
              c.f32x4Const(-Infinity).set(acc);
              cells(() => {
                c.get(cell).v128Load().set(v);
                // acc = v is NaN ? v : pmax(acc, v)
                c.get(v)
                  .get(acc)
                  .get(v)
                  .simd(SIMD.f32x4_pmax)
                  .get(v)
                  .get(v)
                  .simd(SIMD.f32x4_ne)
                  .simd(SIMD.v128_bitselect)
                  .set(acc);
              });
              c.get(q).get(acc).v128Store();
            } else if (kind === 'avgPool') {
              c.f32x4Const(0).set(acc);
              cells(() => {
                c.get(acc).get(cell).v128Load().simd(SIMD.f32x4_add).set(acc);
              });
              // acc / count (a division, as the JS kernel), not acc · (1 / count)
              c.get(q).get(acc);
              c.get(yb)
                .get(ya)
                .op(OP.i32_sub)
                .get(xb)
                .get(xa)
                .op(OP.i32_sub)
                .op(OP.i32_mul)
                .op(OP.f32_convert_i32_s)
                .simd(SIMD.f32x4_splat);
              c.simd(SIMD.f32x4_div).v128Store();
            } else if (kind === 'avgPoolGrad') {
              // dx[cell] += dy / count
              c.get(q).v128Load();
              c.get(yb)
                .get(ya)
                .op(OP.i32_sub)
                .get(xb)
                .get(xa)
                .op(OP.i32_sub)
                .op(OP.i32_mul)
                .op(OP.f32_convert_i32_s)
                .simd(SIMD.f32x4_splat);
              c.simd(SIMD.f32x4_div).set(v);
              cells(() => {
                c.get(cell).get(cell).v128Load().get(v).simd(SIMD.f32x4_add).v128Store();
              });
            } else {
              maxGrad(c, { acc, v, idx, lanes, mask, cell, at, x, dx: dxp, q, cells }, kind === 'maxPoolGradTiled');
            }
            c.addTo(q, 16);
          });
        });
      });
      c.addLocal(img, imgBytes);
    });
  });
}

/**
 * Tracks, per lane, the first maximum's byte offset from x; then adds dy into dx at it, lane by
 * lane, or (`tiled`: no cell is in two windows) stores each cell's four lanes at once: dy where
 * the cell is its lane's winner, else 0.
 */
function maxGrad(
  c: Code,
  l: {
    acc: Local;
    v: Local;
    idx: Local;
    lanes: Local;
    mask: Local;
    cell: Local;
    at: Local;
    x: Local;
    dx: Local;
    q: Local;
    cells: (body: () => void) => void;
  },
  tiled: boolean,
): void {
  c.f32x4Const(-Infinity).set(l.acc);
  c.i32x4Const(-1).set(l.idx);
  l.cells(() => {
    c.get(l.cell).v128Load().set(l.v);
    // mask = v > best || (idx < 0 && v is NaN)
    c.get(l.v).get(l.acc).simd(SIMD.f32x4_gt);
    c.get(l.idx).i32x4Const(0).simd(SIMD.i32x4_lt_s).get(l.v).get(l.v).simd(SIMD.f32x4_ne).simd(SIMD.v128_and);
    c.simd(SIMD.v128_or).set(l.mask);
    c.get(l.v).get(l.acc).get(l.mask).simd(SIMD.v128_bitselect).set(l.acc);
    // idx = mask ? (cell − x) + [0, 4, 8, 12] : idx
    c.get(l.cell).get(l.x).op(OP.i32_sub).simd(SIMD.i32x4_splat).get(l.lanes).simd(SIMD.i32x4_add);
    c.get(l.idx).get(l.mask).simd(SIMD.v128_bitselect).set(l.idx);
  });
  if (tiled) {
    c.get(l.q).v128Load().set(l.v); // dy
    l.cells(() => {
      // dx[cell] = idx == (cell − x) + [0, 4, 8, 12] ? dy : 0
      c.get(l.dx).get(l.cell).op(OP.i32_add).get(l.x).op(OP.i32_sub);
      c.get(l.v).i32x4Const(0);
      c.get(l.cell).get(l.x).op(OP.i32_sub).simd(SIMD.i32x4_splat).get(l.lanes).simd(SIMD.i32x4_add);
      c.get(l.idx).simd(SIMD.i32x4_eq).simd(SIMD.v128_bitselect);
      c.v128Store();
    });
    return;
  }
  for (let lane = 0; lane < 4; lane++) {
    c.get(l.idx).simd(SIMD.i32x4_extract_lane, lane).set(l.at);
    c.get(l.at).i32(0).op(OP.i32_ge_s);
    c.if(() => {
      // dx[at] += dy[q + lane]
      c.get(l.dx).get(l.at).op(OP.i32_add).set(l.at);
      c.get(l.at)
        .get(l.at)
        .f32Load()
        .get(l.q)
        .f32Load(lane * 4)
        .op(OP.f32_add)
        .f32Store();
    });
  }
}

/**
 * One kind with the elementwise kernels' signature, run(outer, images, params, ...addresses):
 * the kind over `images` images from the given addresses, the rest of its geometry (inH …
 * padLeft, 11 i32) at `params`, so the worker pool runs ranges of images as it runs element
 * ranges (outer is 1 and unused). Images are independent: a range writes only its own.
 */
export function poolRunModuleBytes(kind: PoolKind, shared: boolean): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 0, 65536, shared);
  const fn = emit(m, kind);
  const nAddr = poolAddresses(kind);
  m.func('run', new Array(3 + nAddr).fill(T.i32), [], (c, _outer, images, params, ...addresses) => {
    for (const a of addresses) c.get(a);
    c.get(images);
    for (let k = 0; k < 11; k++) c.get(params).mem(OP.i32_load, 2, 4 * k);
    c.call(fn);
  });
  return m.bytes();
}

export function poolModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 0, 65536, shared);
  for (const k of ['maxPool', 'avgPool', 'avgPoolGrad', 'maxPoolGrad', 'maxPoolGradTiled'] as const) emit(m, k);
  return m.bytes();
}

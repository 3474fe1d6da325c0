import { type Code, type Local, ModuleBuilder, OP, SIMD, T } from './emitter';
import { emitIm2colTaps, tapCoordinate } from './im2col-taps';

/**
 * im2col and col2im for NHWC images as wasm SIMD: every tap of the filter
 * window is a run of inC contiguous channels, copied (or, for col2im, added
 * back) four floats at a time, with a scalar tail for inC not a multiple of 4;
 * taps in the padding are zero-filled (im2col) or skipped (col2im).
 *
 * Both take (x, cols, images, inH, inW, inC, outH, outW, kH, kW, strideH,
 * strideW, dilationH, dilationW, padTop, padLeft): x and cols are byte
 * addresses of the first image and of its column block; cols holds, per
 * image, outH·outW rows of kH·kW·inC values.
 */

export interface Im2colExports {
  im2col(x: number, cols: number, images: number, ...geometry: number[]): void;
  col2im(dx: number, cols: number, images: number, ...geometry: number[]): void;
  /** The transposed (tap-major) im2col: im2col-taps.ts. */
  im2colTaps(x: number, cols: number, images: number, ...geometry: number[]): void;
}

function emit(m: ModuleBuilder, name: 'im2col' | 'col2im'): void {
  const params = new Array(16).fill(T.i32);
  m.func(name, params, [], (c, x, cols, images, inH, inW, inC, outH, outW, kH, kW, sH, sW, dH, dW, pT, pL) => {
    const n = c.local(T.i32);
    const oy = c.local(T.i32);
    const ox = c.local(T.i32);
    const ky = c.local(T.i32);
    const kx = c.local(T.i32);
    const iy = c.local(T.i32);
    const ix = c.local(T.i32);
    const img = c.local(T.i32);
    const imgBytes = c.local(T.i32);
    const src = c.local(T.i32);
    const q = c.local(T.i32);
    const ch = c.local(T.i32);
    const vecEnd = c.local(T.i32);
    const rowBytes = c.local(T.i32);
    // imgBytes = inH·inW·inC·4; rowBytes = inC·4; vecEnd = inC rounded down to a multiple of 4
    c.get(inH).get(inW).op(OP.i32_mul).get(inC).op(OP.i32_mul).i32(2).op(OP.i32_shl).set(imgBytes);
    c.get(inC).i32(2).op(OP.i32_shl).set(rowBytes);
    c.get(inC).i32(-4).op(OP.i32_and).set(vecEnd);
    c.get(cols).set(q);
    c.get(x).set(img);
    c.for(n, 0, images, 1, () => {
      c.for(oy, 0, outH, 1, () => {
        c.for(ox, 0, outW, 1, () => {
          c.for(ky, 0, kH, 1, () => {
            tapCoordinate(c, oy, sH, pT, ky, dH).set(iy);
            c.for(kx, 0, kW, 1, () => {
              tapCoordinate(c, ox, sW, pL, kx, dW).set(ix);
              // Inside the image when 0 <= iy < inH and 0 <= ix < inW (unsigned compares catch negatives).
              c.get(iy).get(inH).op(OP.i32_lt_u).get(ix).get(inW).op(OP.i32_lt_u).op(OP.i32_and);
              c.if(
                () => {
                  // src = img + ((iy·inW + ix)·inC)·4
                  c.get(img)
                    .get(iy)
                    .get(inW)
                    .op(OP.i32_mul)
                    .get(ix)
                    .op(OP.i32_add)
                    .get(inC)
                    .op(OP.i32_mul)
                    .i32(2)
                    .op(OP.i32_shl)
                    .op(OP.i32_add)
                    .set(src);
                  copyRun(c, name, src, q, ch, vecEnd, inC);
                },
                name === 'im2col'
                  ? () => {
                      const at = () => c.get(q).get(ch).i32(2).op(OP.i32_shl).op(OP.i32_add);
                      c.for(ch, 0, vecEnd, 4, () => at().f32x4Const(0).v128Store());
                      tail(c, ch, inC, () => at().f32(0).f32Store());
                    }
                  : undefined,
              );
              c.addLocal(q, rowBytes);
            });
          });
        });
      });
      c.addLocal(img, imgBytes);
    });
  });
}

/** Copies (im2col) or adds back (col2im) inC floats between src (image) and q (columns). */
function copyRun(c: Code, name: 'im2col' | 'col2im', src: Local, q: Local, ch: Local, vecEnd: Local, inC: Local): void {
  const at = (base: Local) => c.get(base).get(ch).i32(2).op(OP.i32_shl).op(OP.i32_add);
  c.for(ch, 0, vecEnd, 4, () => {
    if (name === 'im2col') {
      at(q);
      at(src).v128Load();
      c.v128Store();
    } else {
      at(src);
      at(src).v128Load();
      at(q).v128Load();
      c.simd(SIMD.f32x4_add).v128Store();
    }
  });
  tail(c, ch, inC, () => {
    if (name === 'im2col') {
      at(q);
      at(src).f32Load();
      c.f32Store();
    } else {
      at(src);
      at(src).f32Load();
      at(q).f32Load();
      c.op(OP.f32_add).f32Store();
    }
  });
}

/** while (ch < end) { body(); ch++ }: the scalar tail, continuing from where the vector loop left ch. */
function tail(c: Code, ch: Local, end: Local, body: () => void): void {
  c.block(() => {
    c.loop(() => {
      c.get(ch).get(end).op(OP.i32_ge_s).brIf(1);
      body();
      c.addTo(ch, 1).br(0);
    });
  });
}

export function im2colModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 0, 65536, shared);
  emit(m, 'im2col');
  emit(m, 'col2im');
  emitIm2colTaps(m);
  return m.bytes();
}

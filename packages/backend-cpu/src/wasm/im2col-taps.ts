import { type Code, type Local, type ModuleBuilder, OP, T } from './emitter';

/**
 * im2col transposed ("tap-major") as wasm: columns [kH·kW·inC, images·outH·outW], row
 * (ky·kW + kx)·inC + c holding that tap's input value at every output position, so each output
 * row of one image is a run read from the input at a fixed stride: contiguous, and copied four
 * floats at a time, when strideW·inC is 1 (a one-channel first layer). Positions whose tap falls
 * in the padding are zero. What the convolution kernels use below four input channels, where the
 * channel-major im2col would copy single floats (kernels/conv.ts).
 *
 * im2colTaps(x, cols, images, inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilationH,
 * dilationW, padTop, padLeft): x is the byte address of the first image, cols of the columns.
 */
export function emitIm2colTaps(m: ModuleBuilder): void {
  const params = new Array(16).fill(T.i32);
  m.func('im2colTaps', params, [], (c, x, cols, images, inH, inW, inC, outH, outW, kH, kW, sH, sW, dH, dW, pT, pL) => {
    const [ky, kx, ch, n, oy, iy, x0, oxa, oxb, q, img, imgBytes, stepBytes, src, dst, i, cnt, vend] = Array.from(
      { length: 18 },
      () => c.local(T.i32),
    );
    c.get(inH).get(inW).op(OP.i32_mul).get(inC).op(OP.i32_mul).i32(2).op(OP.i32_shl).set(imgBytes);
    c.get(sW).get(inC).op(OP.i32_mul).i32(2).op(OP.i32_shl).set(stepBytes);
    c.get(cols).set(q);
    c.for(ky, 0, kH, 1, () => {
      c.for(kx, 0, kW, 1, () => {
        // x0 = kx·dW − pL: the input column of output column 0's tap.
        c.get(kx).get(dW).op(OP.i32_mul).get(pL).op(OP.i32_sub).set(x0);
        // oxa: the first output column whose tap is at input column ≥ 0 (outW if none).
        c.i32(0).set(oxa);
        whileTrue(
          c,
          () =>
            c
              .get(oxa)
              .get(outW)
              .op(OP.i32_lt_s)
              .get(oxa)
              .get(sW)
              .op(OP.i32_mul)
              .get(x0)
              .op(OP.i32_add)
              .i32(0)
              .op(OP.i32_lt_s)
              .op(OP.i32_and),
          () => c.addTo(oxa, 1),
        );
        // oxb: one past the last output column whose tap is at input column < inW (at least oxa).
        c.get(outW).set(oxb);
        whileTrue(
          c,
          () =>
            c
              .get(oxb)
              .get(oxa)
              .op(OP.i32_gt_s)
              .get(oxb)
              .i32(1)
              .op(OP.i32_sub)
              .get(sW)
              .op(OP.i32_mul)
              .get(x0)
              .op(OP.i32_add)
              .get(inW)
              .op(OP.i32_ge_s)
              .op(OP.i32_and),
          () => c.addTo(oxb, -1),
        );
        c.get(oxb).get(oxa).op(OP.i32_sub).set(cnt);
        c.get(cnt).i32(-4).op(OP.i32_and).set(vend);
        c.for(ch, 0, inC, 1, () => {
          c.get(x).set(img);
          c.for(n, 0, images, 1, () => {
            c.for(oy, 0, outH, 1, () => {
              // A row inside the image when 0 ≤ iy < inH (unsigned compare).
              tapCoordinate(c, oy, sH, pT, ky, dH).set(iy);
              c.get(iy).get(inH).op(OP.i32_lt_u);
              c.if(
                () => {
                  zeros(c, q, i, null, oxa);
                  // src = img + ((iy·inW + oxa·sW + x0)·inC + ch)·4; dst = q + oxa·4
                  c.get(img)
                    .get(iy)
                    .get(inW)
                    .op(OP.i32_mul)
                    .get(oxa)
                    .get(sW)
                    .op(OP.i32_mul)
                    .op(OP.i32_add)
                    .get(x0)
                    .op(OP.i32_add)
                    .get(inC)
                    .op(OP.i32_mul)
                    .get(ch)
                    .op(OP.i32_add)
                    .i32(2)
                    .op(OP.i32_shl)
                    .op(OP.i32_add)
                    .set(src);
                  c.get(q).get(oxa).i32(2).op(OP.i32_shl).op(OP.i32_add).set(dst);
                  c.get(stepBytes).i32(4).op(OP.i32_eq);
                  c.if(
                    () => {
                      // A contiguous run: four floats at a time, then the tail.
                      const at = (base: Local) => c.get(base).get(i).i32(2).op(OP.i32_shl).op(OP.i32_add);
                      c.for(i, 0, vend, 4, () => {
                        at(dst);
                        at(src).v128Load();
                        c.v128Store();
                      });
                      range(c, i, null, cnt, () => {
                        at(dst);
                        at(src).f32Load();
                        c.f32Store();
                      });
                    },
                    () => {
                      c.for(i, 0, cnt, 1, () => {
                        c.get(dst).get(src).f32Load().f32Store();
                        c.addTo(dst, 4).addLocal(src, stepBytes);
                      });
                    },
                  );
                  zeros(c, q, i, oxb, outW);
                },
                () => zeros(c, q, i, null, outW),
              );
              c.get(q).get(outW).i32(2).op(OP.i32_shl).op(OP.i32_add).set(q);
            });
            c.addLocal(img, imgBytes);
          });
        });
      });
    });
  });
}

/** Pushes out·stride − pad + tap·dilation: the input row or column that a filter tap reads. */
export function tapCoordinate(c: Code, out: Local, stride: Local, pad: Local, tap: Local, dilation: Local): Code {
  return c
    .get(out)
    .get(stride)
    .op(OP.i32_mul)
    .get(pad)
    .op(OP.i32_sub)
    .get(tap)
    .get(dilation)
    .op(OP.i32_mul)
    .op(OP.i32_add);
}

/** while (cond()) body(). */
function whileTrue(c: Code, cond: () => void, body: () => void): void {
  c.block(() => {
    c.loop(() => {
      cond();
      c.op(OP.i32_eqz).brIf(1);
      body();
      c.br(0);
    });
  });
}

/** for (i = from ?? i; i < end; i++) body(): `from` null continues from i's current value. */
function range(c: Code, i: Local, from: Local | null, end: Local, body: () => void): void {
  if (from !== null) c.get(from).set(i);
  whileTrue(
    c,
    () => c.get(i).get(end).op(OP.i32_lt_s),
    () => {
      body();
      c.addTo(i, 1);
    },
  );
}

/** Zeroes floats [from, end) of the run at q (from null: 0). */
function zeros(c: Code, q: Local, i: Local, from: Local | null, end: Local): void {
  if (from === null) c.i32(0).set(i);
  range(c, i, from, end, () => {
    c.get(q).get(i).i32(2).op(OP.i32_shl).op(OP.i32_add).f32(0).f32Store();
  });
}

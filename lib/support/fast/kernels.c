/*
 * The fast training path's compute kernels, compiled to a few KB of WebAssembly (SIMD128) that
 * runs on the tfjs wasm backend's own memory: every pointer below is an offset into that memory
 * (a tensor's memoryOffset, or a scratch block from the backend's malloc).
 *
 * Why these exist: tfjs-wasm sends a matrix product to XNNPACK only when it is 2-D with no
 * transpose flag; everything else (batched products, and the products in every matMul gradient)
 * runs a scalar loop at ~1.6 GFLOP/s. matmul() below reads transposed and strided operands in
 * place (heads straight out of a [B, T, 3d] projection, weights transposed for a gradient) at
 * 20+ GFLOP/s on one core, and the fused kernels replace chains of small tfjs kernels.
 *
 * Rules that keep this module safe inside another module's memory: no global data, no linear-
 * memory stack (no arrays or address-taken locals), no allocation; the caller passes every
 * buffer. Build: lib/support/fast/build-kernels.sh (clang --target=wasm32 -msimd128).
 */
#include <wasm_simd128.h>

typedef float f32;
typedef int i32;

#define EXPORT(name) __attribute__((export_name(#name)))

/*
 * a·b + c on four lanes. The "relaxed" build (LAB_RELAXED) makes this one fused multiply-add
 * instruction (WebAssembly relaxed SIMD's f32x4.relaxed_madd); clang 14 cannot emit its final
 * encoding, so that build calls an imported lab_madd that build-kernels.sh replaces by the
 * instruction. The baseline build multiplies, then adds.
 */
#ifdef LAB_RELAXED
v128_t lab_madd(v128_t a, v128_t b, v128_t c) __attribute__((import_module("env"), import_name("lab_madd")));
#define MADD(a, b, c) lab_madd(a, b, c)
#else
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul(a, b), c)
#endif

#define FLAG_ACCUMULATE 1 /* C += result (otherwise C = result) */
#define FLAG_RELU 2       /* C = max(C, 0) after the bias */

/*
 * One [M, N] block of C = alpha * A·B (+ C) (+ bias) (relu), B rows contiguous (stride sbk,
 * unit column stride), C rows contiguous (stride scm). A is read element by element with
 * strides (sam, sak), so a transposed A costs nothing.
 */
static void mm_block(const f32 *A, i32 sam, i32 sak, const f32 *B, i32 sbk, f32 *C, i32 scm,
                     i32 M, i32 N, i32 K, f32 alpha, const f32 *bias, i32 flags) {
  const v128_t valpha = wasm_f32x4_splat(alpha);
  const v128_t zero = wasm_f32x4_splat(0.0f);
  const int acc = flags & FLAG_ACCUMULATE;
  const int relu = flags & FLAG_RELU;
  i32 i = 0;
  for (; i + 4 <= M; i += 4) {
    const f32 *a0 = A + (i + 0) * sam, *a1 = A + (i + 1) * sam, *a2 = A + (i + 2) * sam, *a3 = A + (i + 3) * sam;
    f32 *c0 = C + (i + 0) * scm, *c1 = C + (i + 1) * scm, *c2 = C + (i + 2) * scm, *c3 = C + (i + 3) * scm;
    i32 j = 0;
    for (; j + 8 <= N; j += 8) {
      v128_t x00 = zero, x01 = zero, x10 = zero, x11 = zero, x20 = zero, x21 = zero, x30 = zero, x31 = zero;
      const f32 *b = B + j;
      for (i32 k = 0; k < K; k++, b += sbk) {
        const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
        const i32 ka = k * sak;
        v128_t s = wasm_f32x4_splat(a0[ka]);
        x00 = MADD(s, b0, x00);
        x01 = MADD(s, b1, x01);
        s = wasm_f32x4_splat(a1[ka]);
        x10 = MADD(s, b0, x10);
        x11 = MADD(s, b1, x11);
        s = wasm_f32x4_splat(a2[ka]);
        x20 = MADD(s, b0, x20);
        x21 = MADD(s, b1, x21);
        s = wasm_f32x4_splat(a3[ka]);
        x30 = MADD(s, b0, x30);
        x31 = MADD(s, b1, x31);
      }
      f32 *cs[4] = {c0 + j, c1 + j, c2 + j, c3 + j};
      v128_t xs[8] = {x00, x01, x10, x11, x20, x21, x30, x31};
      for (int r = 0; r < 4; r++) {
        for (int h = 0; h < 2; h++) {
          f32 *c = cs[r] + 4 * h;
          v128_t v = wasm_f32x4_mul(xs[2 * r + h], valpha);
          if (acc) v = wasm_f32x4_add(v, wasm_v128_load(c));
          if (bias) v = wasm_f32x4_add(v, wasm_v128_load(bias + j + 4 * h));
          if (relu) v = wasm_f32x4_pmax(v, zero);
          wasm_v128_store(c, v);
        }
      }
    }
    for (; j + 4 <= N; j += 4) {
      v128_t x0 = zero, x1 = zero, x2 = zero, x3 = zero;
      const f32 *b = B + j;
      for (i32 k = 0; k < K; k++, b += sbk) {
        const v128_t b0 = wasm_v128_load(b);
        const i32 ka = k * sak;
        x0 = MADD(wasm_f32x4_splat(a0[ka]), b0, x0);
        x1 = MADD(wasm_f32x4_splat(a1[ka]), b0, x1);
        x2 = MADD(wasm_f32x4_splat(a2[ka]), b0, x2);
        x3 = MADD(wasm_f32x4_splat(a3[ka]), b0, x3);
      }
      f32 *cs[4] = {c0 + j, c1 + j, c2 + j, c3 + j};
      v128_t xs[4] = {x0, x1, x2, x3};
      for (int r = 0; r < 4; r++) {
        v128_t v = wasm_f32x4_mul(xs[r], valpha);
        if (acc) v = wasm_f32x4_add(v, wasm_v128_load(cs[r]));
        if (bias) v = wasm_f32x4_add(v, wasm_v128_load(bias + j));
        if (relu) v = wasm_f32x4_pmax(v, zero);
        wasm_v128_store(cs[r], v);
      }
    }
    for (; j < N; j++) {
      f32 s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      const f32 *b = B + j;
      for (i32 k = 0; k < K; k++, b += sbk) {
        const i32 ka = k * sak;
        s0 += a0[ka] * *b;
        s1 += a1[ka] * *b;
        s2 += a2[ka] * *b;
        s3 += a3[ka] * *b;
      }
      f32 *cs[4] = {c0 + j, c1 + j, c2 + j, c3 + j};
      f32 ss[4] = {s0, s1, s2, s3};
      for (int r = 0; r < 4; r++) {
        f32 v = ss[r] * alpha;
        if (acc) v += *cs[r];
        if (bias) v += bias[j];
        if (relu && v < 0) v = 0;
        *cs[r] = v;
      }
    }
  }
  for (; i < M; i++) {
    const f32 *a = A + i * sam;
    f32 *c = C + i * scm;
    i32 j = 0;
    for (; j + 4 <= N; j += 4) {
      v128_t x = zero;
      const f32 *b = B + j;
      for (i32 k = 0; k < K; k++, b += sbk) x = MADD(wasm_f32x4_splat(a[k * sak]), wasm_v128_load(b), x);
      v128_t v = wasm_f32x4_mul(x, valpha);
      if (acc) v = wasm_f32x4_add(v, wasm_v128_load(c + j));
      if (bias) v = wasm_f32x4_add(v, wasm_v128_load(bias + j));
      if (relu) v = wasm_f32x4_pmax(v, zero);
      wasm_v128_store(c + j, v);
    }
    for (; j < N; j++) {
      f32 s = 0;
      const f32 *b = B + j;
      for (i32 k = 0; k < K; k++, b += sbk) s += a[k * sak] * *b;
      f32 v = s * alpha;
      if (acc) v += c[j];
      if (bias) v += bias[j];
      if (relu && v < 0) v = 0;
      c[j] = v;
    }
  }
}

/* Copies B[k, n] (strides sbk, sbn) into dst as a contiguous [K, N] matrix. */
static void pack(const f32 *B, i32 sbk, i32 sbn, f32 *dst, i32 K, i32 N) {
  if (sbk == 1) {
    /* B is stored transposed ([N, K] rows): read rows of the source, write columns. */
    for (i32 n = 0; n < N; n++) {
      const f32 *src = B + n * sbn;
      for (i32 k = 0; k < K; k++) dst[k * N + n] = src[k];
    }
    return;
  }
  for (i32 k = 0; k < K; k++) {
    const f32 *src = B + k * sbk;
    for (i32 n = 0; n < N; n++) dst[k * N + n] = src[n * sbn];
  }
}

/* Rows of C per block: keeps a block's slice of C and the reused B in the L1/L2 caches. */
#define ROW_BLOCK 64
/* Floats of B per K chunk (64 K floats = 256 KB, within a typical L2 cache). */
#define K_CHUNK_FLOATS 65536

/*
 * C[p, q] = alpha * A[p, q] · B[p, q] (+ C) (+ bias) (relu) for p < nb1, q < nb2: a batch of
 * [M, K]·[K, N] products over two batch axes, every operand addressed by element strides
 * (batch axis 1, batch axis 2, row, column). C needs unit column stride. When B's column stride
 * is not 1 (B transposed in memory), each batch's B is first copied into `scratch` (K·N floats).
 * A batch stride of 0 shares an operand across the batch (a weight).
 */
EXPORT(matmul)
void matmul(const f32 *A, const f32 *B, f32 *C, i32 M, i32 N, i32 K, i32 nb1, i32 nb2,
            i32 sa1, i32 sa2, i32 sam, i32 sak, i32 sb1, i32 sb2, i32 sbk, i32 sbn,
            i32 sc1, i32 sc2, i32 scm, f32 alpha, const f32 *bias, i32 flags, f32 *scratch) {
  const i32 kb = N > 0 && K_CHUNK_FLOATS / N > 16 ? K_CHUNK_FLOATS / N : 16;
  for (i32 p = 0; p < nb1; p++) {
    for (i32 q = 0; q < nb2; q++) {
      const f32 *a = A + p * sa1 + q * sa2;
      const f32 *b = B + p * sb1 + q * sb2;
      f32 *c = C + p * sc1 + q * sc2;
      i32 bk = sbk;
      if (sbn != 1) {
        /* A shared B (batch strides 0) is packed once. */
        if (sb1 != 0 || sb2 != 0 || (p == 0 && q == 0)) pack(b, sbk, sbn, scratch, K, N);
        b = scratch;
        bk = N;
      }
      for (i32 i0 = 0; i0 < M; i0 += ROW_BLOCK) {
        const i32 rows = M - i0 < ROW_BLOCK ? M - i0 : ROW_BLOCK;
        /* K in chunks whose slice of B (kb rows of N) stays in the L2 cache while every row
           block of A uses it: a long K (a weight gradient sums over every position of a batch)
           otherwise streams all of B from memory once per four rows of C. The bias comes with
           the first chunk, relu after the last, and later chunks accumulate. */
        for (i32 k0 = 0; k0 < K; k0 += kb) {
          const i32 kn = K - k0 < kb ? K - k0 : kb;
          const i32 last = k0 + kn >= K;
          const i32 f = (k0 > 0 ? FLAG_ACCUMULATE : (flags & FLAG_ACCUMULATE)) | (last ? (flags & FLAG_RELU) : 0);
          mm_block(a + i0 * sam + k0 * sak, sam, sak, b + k0 * bk, bk, c + i0 * scm, scm, rows, N, kn, alpha, k0 == 0 ? bias : 0, f);
        }
      }
    }
  }
}

/* Natural log for x > 0 (normal floats): x = m·2^e with m in [0.707, 1.414), log m by atanh series. */
static inline f32 log_pos(f32 x) {
  union { f32 f; i32 i; } u;
  u.f = x;
  i32 e = ((u.i >> 23) & 255) - 127;
  u.i = (u.i & 0x007fffff) | 0x3f800000; /* m in [1, 2) */
  f32 m = u.f;
  if (m > 1.41421356f) {
    m *= 0.5f;
    e += 1;
  }
  const f32 s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
  const f32 series = 1.0f + s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9 + s2 * (1.0f / 11)))));
  return 2.0f * s * series + (f32)e * 0.693147180559945309f;
}

static inline f32 hsum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3);
}

/* exp(x) for x <= 0 (softmax after subtracting the max), float accuracy (rel. error < 2e-7). */
static inline f32 exp_nonpos(f32 x) {
  if (x < -87.0f) return 0.0f;
  /* exp(x) = 2^n · exp(r), r = x - n·ln2 in [-ln2/2, ln2/2]. */
  const f32 n = __builtin_rintf(x * 1.44269504088896341f);
  const f32 r = x - n * 0.693145751953125f - n * 1.428606765330187045e-06f;
  f32 p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  union { f32 f; i32 i; } u;
  u.i = ((i32)n + 127) << 23;
  return p * u.f;
}

/*
 * exp(x) on four lanes for x <= 0 (lanes below -87 give exactly 0): the same range reduction as
 * exp_nonpos, then Cephes' degree-5 minimax polynomial, exp(r) ≈ 1 + r + r²·p(r) (rel. error
 * < 3e-7), with fused multiply-adds in the relaxed build: about half the instructions of the
 * Taylor series, and softmax spends most of its time here.
 */
static inline v128_t exp4_nonpos(v128_t x) {
  const v128_t tiny = wasm_f32x4_lt(x, wasm_f32x4_splat(-87.0f));
  x = wasm_f32x4_pmax(x, wasm_f32x4_splat(-87.0f));
  /* n = round(x·log2 e) by the "magic bias" 1.5·2^23 + 127: the low bits of t then hold n + 127,
     so shifting them into the exponent field gives 2^n (no float-to-int conversion). */
  const v128_t magic = wasm_f32x4_splat(12583039.0f);
  const v128_t t = MADD(x, wasm_f32x4_splat(1.44269504088896341f), magic);
  const v128_t scale = wasm_i32x4_shl(t, 23);
  const v128_t n = wasm_f32x4_sub(t, magic);
  const v128_t r = MADD(n, wasm_f32x4_splat(-1.428606765330187045e-06f), MADD(n, wasm_f32x4_splat(-0.693145751953125f), x));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = MADD(p, r, wasm_f32x4_splat(1.3981999507e-3f));
  p = MADD(p, r, wasm_f32x4_splat(8.3334519073e-3f));
  p = MADD(p, r, wasm_f32x4_splat(4.1665795894e-2f));
  p = MADD(p, r, wasm_f32x4_splat(1.6666665459e-1f));
  p = MADD(p, r, wasm_f32x4_splat(5.0000001201e-1f));
  p = MADD(p, wasm_f32x4_mul(r, r), wasm_f32x4_add(r, wasm_f32x4_splat(1.0f)));
  return wasm_v128_andnot(wasm_f32x4_mul(p, scale), tiny);
}

/*
 * One row of attention weights in place: row [Tk] of raw scores becomes softmax over its first
 * `limit` keys minus those whose valid entry is 0 (valid may be null); keys from `limit` on are 0.
 * A row with no allowed key becomes all zeros.
 */
static void softmax_row(f32 *row, i32 Tk, i32 limit, const f32 *valid) {
  const v128_t lowest = wasm_f32x4_splat(-3.4e38f);
  const v128_t zero = wasm_f32x4_splat(0.0f);
  /* Row maximum over the allowed keys (blocked ones read as -3.4e38). */
  v128_t vmx = lowest;
  i32 j = 0;
  for (; j + 4 <= limit; j += 4) {
    v128_t v = wasm_v128_load(row + j);
    if (valid) v = wasm_v128_bitselect(v, lowest, wasm_f32x4_ne(wasm_v128_load(valid + j), zero));
    vmx = wasm_f32x4_pmax(vmx, v);
  }
  f32 mx = wasm_f32x4_extract_lane(vmx, 0);
  for (int l = 1; l < 4; l++) {
    const f32 e = l == 1 ? wasm_f32x4_extract_lane(vmx, 1) : l == 2 ? wasm_f32x4_extract_lane(vmx, 2) : wasm_f32x4_extract_lane(vmx, 3);
    if (e > mx) mx = e;
  }
  for (; j < limit; j++) {
    if (valid && valid[j] == 0.0f) continue;
    if (row[j] > mx) mx = row[j];
  }
  if (mx <= -3.0e38f) { /* no allowed key */
    for (j = 0; j < Tk; j++) row[j] = 0.0f;
    return;
  }
  const v128_t vm = wasm_f32x4_splat(mx);
  v128_t vsum = zero;
  for (j = 0; j + 4 <= limit; j += 4) {
    v128_t e = exp4_nonpos(wasm_f32x4_sub(wasm_v128_load(row + j), vm));
    if (valid) e = wasm_v128_and(e, wasm_f32x4_ne(wasm_v128_load(valid + j), zero));
    wasm_v128_store(row + j, e);
    vsum = wasm_f32x4_add(vsum, e);
  }
  f32 sum = hsum(vsum);
  for (; j < limit; j++) {
    const f32 e = (valid && valid[j] == 0.0f) ? 0.0f : exp_nonpos(row[j] - mx);
    row[j] = e;
    sum += e;
  }
  const f32 inv = 1.0f / sum;
  const v128_t vinv = wasm_f32x4_splat(inv);
  for (j = 0; j + 4 <= limit; j += 4) wasm_v128_store(row + j, wasm_f32x4_mul(wasm_v128_load(row + j), vinv));
  for (; j < limit; j++) row[j] *= inv;
  for (j = limit; j < Tk; j++) row[j] = 0.0f;
}

/* Keys a causal query row i may see: i + causalOffset + 1, clamped to [0, Tk]. */
static inline i32 causal_limit(i32 i, i32 causalOffset, i32 Tk) {
  const i32 l = i + causalOffset + 1;
  return l < 0 ? 0 : l > Tk ? Tk : l;
}

/*
 * Copies columns [0, N) of B[k, n] (strides sbk, sbn) into panels of 8 columns: panel q holds
 * columns 8q..8q+7 as a contiguous [K, 8] block (dst + 8·K·q), the last one zero-padded. A tile
 * of the product then reads its slice of B sequentially, whatever B's row stride: no cache-set
 * conflicts from power-of-two strides (a [64, 512] B has rows 2 KB apart).
 */
static void pack_panels(const f32 *B, i32 sbk, i32 sbn, f32 *dst, i32 K, i32 N) {
  for (i32 j0 = 0; j0 < N; j0 += 8) {
    f32 *panel = dst + j0 * K;
    const i32 w = N - j0 < 8 ? N - j0 : 8;
    for (i32 k = 0; k < K; k++) {
      const f32 *src = B + k * sbk + j0 * sbn;
      f32 *d = panel + 8 * k;
      i32 c = 0;
      if (sbn == 1 && w == 8) {
        wasm_v128_store(d, wasm_v128_load(src));
        wasm_v128_store(d + 4, wasm_v128_load(src + 4));
        continue;
      }
      for (; c < w; c++) d[c] = src[c * sbn];
      for (; c < 8; c++) d[c] = 0.0f;
    }
  }
}

/*
 * C[M, N] = alpha·A·B (+ C) from A (strides sam, sak) and the first K rows of B packed by
 * pack_panels with packedK rows per panel.
 */
static void mm_panels(const f32 *A, i32 sam, i32 sak, const f32 *Bp, i32 packedK, f32 *C, i32 scm, i32 M, i32 N, i32 K, f32 alpha, i32 flags) {
  for (i32 j0 = 0; j0 < N; j0 += 8) {
    const i32 w = N - j0 < 8 ? N - j0 : 8;
    mm_block(A, sam, sak, Bp + j0 * packedK, 8, C + j0, scm, M, w, K, alpha, 0, flags);
  }
}

/* Query rows per block of the fused attention: a block's scores [64, Tk] stay in the L2 cache. */
#define ATT_ROWS 64

/*
 * Attention forward, fused and blocked: for each (batch, head) and block of 64 queries,
 * S = scale·Q·Kᵀ, P = masked softmax(S) (written to P [nb, H, Tq, Tk], kept for the backward
 * pass), O = P·V, while the block's scores are still in the cache. Q, K, V are heads of strided
 * sources: element (b, i, head h, c) of Q is Q[b·sqb + i·sqr + h·dh + c] (same for K, V; O's
 * strides sob, sor). Causal blocks skip the keys no query of the block can see. Masks: key j is blocked
 * when causal and j > i + causalOffset (query i sits at position i + causalOffset among the keys), or
 * when keyValid[b, j] is 0 (keyValid [nb, Tk], null = all valid); a query with no allowed key gets
 * all-zero weights and output. scratch: dh·⌈Tk⌉₈ + Tk·⌈dh⌉₈ floats (K and V of one head, packed in panels;
 * ⌈x⌉₈ is x rounded up to a multiple of 8).
 */
EXPORT(attention_forward)
void attention_forward(const f32 *Q, const f32 *K, const f32 *V, f32 *P, f32 *O, i32 nb, i32 H, i32 Tq, i32 Tk, i32 dh,
                       i32 sqb, i32 sqr, i32 skb, i32 skr, i32 svb, i32 svr, i32 sob, i32 sor, f32 scale,
                       i32 causal, i32 causalOffset, const f32 *keyValid, f32 *scratch) {
  const i32 tk8 = (Tk + 7) & ~7;
  f32 *kp = scratch;             /* Kᵀ [dh, Tk] in panels of 8 keys */
  f32 *vp = scratch + dh * tk8;  /* V [Tk, dh] in panels of 8 columns */
  for (i32 b = 0; b < nb; b++) {
    const f32 *valid = keyValid ? keyValid + b * Tk : 0;
    for (i32 h = 0; h < H; h++) {
      const f32 *q = Q + b * sqb + h * dh, *k = K + b * skb + h * dh, *v = V + b * svb + h * dh;
      f32 *o = O + b * sob + h * dh;
      f32 *p = P + (b * H + h) * Tq * Tk;
      pack_panels(k, 1, skr, kp, dh, Tk);
      pack_panels(v, svr, 1, vp, Tk, dh);
      for (i32 i0 = 0; i0 < Tq; i0 += ATT_ROWS) {
        const i32 rows = Tq - i0 < ATT_ROWS ? Tq - i0 : ATT_ROWS;
        /* Keys any query of this block may see. */
        const i32 keys = causal ? causal_limit(i0 + rows - 1, causalOffset, Tk) : Tk;
        f32 *pb = p + i0 * Tk;
        if (keys > 0) mm_panels(q + i0 * sqr, sqr, 1, kp, dh, pb, Tk, rows, keys, dh, scale, 0);
        for (i32 i = 0; i < rows; i++) {
          softmax_row(pb + i * Tk, Tk, causal ? causal_limit(i0 + i, causalOffset, Tk) : Tk, valid);
        }
        if (keys > 0) {
          mm_panels(pb, Tk, 1, vp, Tk, o + i0 * sor, sor, rows, dh, keys, 1.0f, 0);
        } else {
          for (i32 i = 0; i < rows; i++) for (i32 c = 0; c < dh; c++) o[(i0 + i) * sor + c] = 0.0f;
        }
      }
    }
  }
}

/*
 * Softmax backward in place: given P and dP (both [rows, n]), dP becomes
 * dS = P ⊙ (dP − rowsum(dP ⊙ P)). Blocked positions have P = 0, so their dS is 0.
 */
EXPORT(softmax_backward)
void softmax_backward(const f32 *P, f32 *dP, i32 rows, i32 n) {
  for (i32 r = 0; r < rows; r++) {
    const f32 *p = P + r * n;
    f32 *d = dP + r * n;
    i32 j = 0;
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (; j + 4 <= n; j += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(p + j), wasm_v128_load(d + j)));
    f32 dot = hsum(acc);
    for (; j < n; j++) dot += p[j] * d[j];
    for (j = 0; j < n; j++) d[j] = p[j] * (d[j] - dot);
  }
}

/*
 * Layer norm over the last axis of x [N, d]: y = gamma ⊙ (x − mean)·rstd + beta, biased
 * variance, rstd = 1/sqrt(var + eps). mean and rstd ([N] each) are kept for the backward pass.
 */
EXPORT(layernorm_forward)
void layernorm_forward(const f32 *x, const f32 *gamma, const f32 *beta, f32 *y, f32 *mean, f32 *rstd, i32 N, i32 d, f32 eps) {
  const f32 invd = 1.0f / (f32)d;
  for (i32 r = 0; r < N; r++) {
    const f32 *xr = x + r * d;
    f32 *yr = y + r * d;
    v128_t s = wasm_f32x4_splat(0.0f);
    i32 j = 0;
    for (; j + 4 <= d; j += 4) s = wasm_f32x4_add(s, wasm_v128_load(xr + j));
    f32 mu = hsum(s);
    for (; j < d; j++) mu += xr[j];
    mu *= invd;
    const v128_t vmu = wasm_f32x4_splat(mu);
    v128_t q = wasm_f32x4_splat(0.0f);
    for (j = 0; j + 4 <= d; j += 4) {
      v128_t c = wasm_f32x4_sub(wasm_v128_load(xr + j), vmu);
      q = wasm_f32x4_add(q, wasm_f32x4_mul(c, c));
    }
    f32 var = hsum(q);
    for (; j < d; j++) var += (xr[j] - mu) * (xr[j] - mu);
    var *= invd;
    const f32 rs = 1.0f / __builtin_sqrtf(var + eps);
    mean[r] = mu;
    rstd[r] = rs;
    const v128_t vrs = wasm_f32x4_splat(rs);
    for (j = 0; j + 4 <= d; j += 4) {
      v128_t c = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + j), vmu), vrs);
      wasm_v128_store(yr + j, wasm_f32x4_add(wasm_f32x4_mul(c, wasm_v128_load(gamma + j)), wasm_v128_load(beta + j)));
    }
    for (; j < d; j++) yr[j] = (xr[j] - mu) * rs * gamma[j] + beta[j];
  }
}

/*
 * Layer norm backward: dx [N, d], and dgamma, dbeta [d] (overwritten, not accumulated).
 * With xhat = (x − mean)·rstd and g = dy ⊙ gamma:
 *   dx = rstd · (g − mean(g) − xhat · mean(g ⊙ xhat)).
 */
EXPORT(layernorm_backward)
void layernorm_backward(const f32 *dy, const f32 *x, const f32 *gamma, const f32 *mean, const f32 *rstd,
                        f32 *dx, f32 *dgamma, f32 *dbeta, i32 N, i32 d) {
  const f32 invd = 1.0f / (f32)d;
  for (i32 j = 0; j < d; j++) {
    dgamma[j] = 0.0f;
    dbeta[j] = 0.0f;
  }
  for (i32 r = 0; r < N; r++) {
    const f32 *xr = x + r * d, *dyr = dy + r * d;
    f32 *dxr = dx + r * d;
    const v128_t vmu = wasm_f32x4_splat(mean[r]), vrs = wasm_f32x4_splat(rstd[r]);
    v128_t sg = wasm_f32x4_splat(0.0f), sgx = wasm_f32x4_splat(0.0f);
    i32 j = 0;
    for (; j + 4 <= d; j += 4) {
      const v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + j), vmu), vrs);
      const v128_t g0 = wasm_v128_load(dyr + j);
      const v128_t g = wasm_f32x4_mul(g0, wasm_v128_load(gamma + j));
      sg = wasm_f32x4_add(sg, g);
      sgx = wasm_f32x4_add(sgx, wasm_f32x4_mul(g, xh));
      wasm_v128_store(dgamma + j, wasm_f32x4_add(wasm_v128_load(dgamma + j), wasm_f32x4_mul(g0, xh)));
      wasm_v128_store(dbeta + j, wasm_f32x4_add(wasm_v128_load(dbeta + j), g0));
    }
    f32 mg = hsum(sg), mgx = hsum(sgx);
    for (; j < d; j++) {
      const f32 xh = (xr[j] - mean[r]) * rstd[r];
      const f32 g = dyr[j] * gamma[j];
      mg += g;
      mgx += g * xh;
      dgamma[j] += dyr[j] * xh;
      dbeta[j] += dyr[j];
    }
    mg *= invd;
    mgx *= invd;
    const v128_t vmg = wasm_f32x4_splat(mg), vmgx = wasm_f32x4_splat(mgx);
    for (j = 0; j + 4 <= d; j += 4) {
      const v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + j), vmu), vrs);
      const v128_t g = wasm_f32x4_mul(wasm_v128_load(dyr + j), wasm_v128_load(gamma + j));
      wasm_v128_store(dxr + j, wasm_f32x4_mul(vrs, wasm_f32x4_sub(wasm_f32x4_sub(g, vmg), wasm_f32x4_mul(xh, vmgx))));
    }
    for (; j < d; j++) {
      const f32 xh = (xr[j] - mean[r]) * rstd[r];
      dxr[j] = rstd[r] * (dyr[j] * gamma[j] - mg - xh * mgx);
    }
  }
}

/* Column sums of x [N, d] (rows `stride` floats apart) into out [d]: a bias gradient. */
EXPORT(column_sum)
void column_sum(const f32 *x, f32 *out, i32 N, i32 d, i32 stride) {
  for (i32 j = 0; j < d; j++) out[j] = 0.0f;
  for (i32 r = 0; r < N; r++) {
    const f32 *xr = x + r * stride;
    i32 j = 0;
    for (; j + 4 <= d; j += 4) wasm_v128_store(out + j, wasm_f32x4_add(wasm_v128_load(out + j), wasm_v128_load(xr + j)));
    for (; j < d; j++) out[j] += xr[j];
  }
}

/* dst[i] = src[i], n floats (no overlap). */
EXPORT(copy_f32)
void copy_f32(const f32 *src, f32 *dst, i32 n) {
  i32 i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  for (; i < n; i++) dst[i] = src[i];
}

/* dx = dy where y > 0, else 0 (relu backward, from the relu's output y). */
EXPORT(relu_backward)
void relu_backward(const f32 *dy, const f32 *y, f32 *dx, i32 n) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  i32 i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t m = wasm_f32x4_gt(wasm_v128_load(y + i), zero);
    wasm_v128_store(dx + i, wasm_v128_and(wasm_v128_load(dy + i), m));
  }
  for (; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0.0f;
}

/* Embedding lookup: out [N, d] = table [V, d] rows ids [N]; an id outside [0, V) gives a zero row. */
EXPORT(embedding_forward)
void embedding_forward(const i32 *ids, const f32 *table, f32 *out, i32 N, i32 d, i32 V) {
  for (i32 r = 0; r < N; r++) {
    const i32 id = ids[r];
    f32 *o = out + r * d;
    if (id < 0 || id >= V) {
      for (i32 j = 0; j < d; j++) o[j] = 0.0f;
      continue;
    }
    const f32 *t = table + id * d;
    i32 j = 0;
    for (; j + 4 <= d; j += 4) wasm_v128_store(o + j, wasm_v128_load(t + j));
    for (; j < d; j++) o[j] = t[j];
  }
}

/* Embedding gradient: dtable [V, d] = Σ over positions of dy [N, d] rows, added at row ids[r]. */
EXPORT(embedding_backward)
void embedding_backward(const i32 *ids, const f32 *dy, f32 *dtable, i32 N, i32 d, i32 V) {
  for (i32 i = 0; i < V * d; i++) dtable[i] = 0.0f;
  for (i32 r = 0; r < N; r++) {
    const i32 id = ids[r];
    if (id < 0 || id >= V) continue;
    f32 *t = dtable + id * d;
    const f32 *g = dy + r * d;
    i32 j = 0;
    for (; j + 4 <= d; j += 4) wasm_v128_store(t + j, wasm_f32x4_add(wasm_v128_load(t + j), wasm_v128_load(g + j)));
    for (; j < d; j++) t[j] += g[j];
  }
}

/*
 * Mean cross-entropy of logits [N, V] against targets [N], skipping targets equal to `ignore`
 * (and any outside [0, V), which the caller rules out); writes the loss to loss[0] (0 when no
 * row counts) and the gradient of the loss
 * with respect to the logits into dlogits [N, V] (softmax − one-hot, divided by the count).
 */
EXPORT(cross_entropy)
void cross_entropy(const f32 *logits, const i32 *targets, i32 N, i32 V, i32 ignore, f32 *dlogits, f32 *loss) {
  double total = 0.0;
  i32 count = 0;
  for (i32 r = 0; r < N; r++) if (targets[r] != ignore && targets[r] >= 0 && targets[r] < V) count++;
  const f32 scale = count > 0 ? 1.0f / (f32)count : 0.0f;
  for (i32 r = 0; r < N; r++) {
    const f32 *l = logits + r * V;
    f32 *g = dlogits + r * V;
    const i32 t = targets[r];
    if (t == ignore || t < 0 || t >= V) {
      for (i32 j = 0; j < V; j++) g[j] = 0.0f;
      continue;
    }
    f32 mx = l[0];
    for (i32 j = 1; j < V; j++) if (l[j] > mx) mx = l[j];
    f32 sum = 0.0f;
    for (i32 j = 0; j < V; j++) {
      const f32 e = exp_nonpos(l[j] - mx);
      g[j] = e;
      sum += e;
    }
    const f32 inv = 1.0f / sum;
    for (i32 j = 0; j < V; j++) g[j] *= inv * scale;
    g[t] -= scale;
    total += (double)(log_pos(sum) + mx - l[t]);
  }
  loss[0] = count > 0 ? (f32)(total / count) : 0.0f;
}

/*
 * One AdamW step for n parameters: p_out = p − lr·(m̂ / (sqrt(v̂) + eps) + wd·p), as PyTorch's
 * AdamW computes it (decoupled weight decay applied first). m and v are updated in place;
 * bc1 = 1 − beta1^t, bc2 = 1 − beta2^t.
 */
EXPORT(adam_step)
void adam_step(const f32 *p, const f32 *g, f32 *m, f32 *v, f32 *p_out, i32 n, f32 lr, f32 beta1, f32 beta2,
               f32 eps, f32 wd, f32 bc1, f32 bc2) {
  const f32 decay = 1.0f - lr * wd;
  const f32 step = lr / bc1;
  const f32 rbc2 = 1.0f / __builtin_sqrtf(bc2);
  const v128_t vb1 = wasm_f32x4_splat(beta1), vb1c = wasm_f32x4_splat(1.0f - beta1);
  const v128_t vb2 = wasm_f32x4_splat(beta2), vb2c = wasm_f32x4_splat(1.0f - beta2);
  const v128_t vdecay = wasm_f32x4_splat(decay), vstep = wasm_f32x4_splat(step);
  const v128_t vrbc2 = wasm_f32x4_splat(rbc2), veps = wasm_f32x4_splat(eps);
  i32 i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gi = wasm_v128_load(g + i);
    const v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(vb1, wasm_v128_load(m + i)), wasm_f32x4_mul(vb1c, gi));
    const v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(vb2, wasm_v128_load(v + i)), wasm_f32x4_mul(vb2c, wasm_f32x4_mul(gi, gi)));
    wasm_v128_store(m + i, mi);
    wasm_v128_store(v + i, vi);
    const v128_t denom = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sqrt(vi), vrbc2), veps);
    const v128_t pi = wasm_f32x4_mul(wasm_v128_load(p + i), vdecay);
    wasm_v128_store(p_out + i, wasm_f32x4_sub(pi, wasm_f32x4_div(wasm_f32x4_mul(vstep, mi), denom)));
  }
  for (; i < n; i++) {
    const f32 gi = g[i];
    m[i] = beta1 * m[i] + (1.0f - beta1) * gi;
    v[i] = beta2 * v[i] + (1.0f - beta2) * gi * gi;
    const f32 denom = __builtin_sqrtf(v[i]) * rbc2 + eps;
    p_out[i] = p[i] * decay - step * m[i] / denom;
  }
}

/* ------------------------------------------------------------------------------------------
 * GRU recurrence (PyTorch's gates, r | z | n columns): for each step t, with hw = h·Wh + bh,
 *   r = σ(xw_r + hw_r), z = σ(xw_z + hw_z), n = tanh(xw_n + r ⊙ hw_n), h' = n + z ⊙ (h − n),
 * and at padding steps (valid = 0) the state is carried over: h_t = h + valid·(h' − h).
 * The input projections xw [B, T, 3H] (bias included) come precomputed; the steps run here, one
 * recurrent product per step, with no tfjs kernel in between.
 */

static inline v128_t sigmoid4(v128_t x) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  const v128_t e = exp4_nonpos(wasm_f32x4_neg(wasm_f32x4_abs(x))); /* exp(-|x|) */
  const v128_t pos = wasm_f32x4_div(one, wasm_f32x4_add(one, e)); /* σ(|x|) */
  return wasm_v128_bitselect(pos, wasm_f32x4_sub(one, pos), wasm_f32x4_ge(x, wasm_f32x4_splat(0.0f)));
}

static inline v128_t tanh4(v128_t x) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  const v128_t e = exp4_nonpos(wasm_f32x4_mul(wasm_f32x4_abs(x), wasm_f32x4_splat(-2.0f))); /* exp(-2|x|) */
  const v128_t t = wasm_f32x4_div(wasm_f32x4_sub(one, e), wasm_f32x4_add(one, e)); /* tanh(|x|) */
  return wasm_v128_bitselect(t, wasm_f32x4_neg(t), wasm_f32x4_ge(x, wasm_f32x4_splat(0.0f)));
}

static inline f32 sigmoid1(f32 x) {
  const f32 e = exp_nonpos(x >= 0 ? -x : x);
  const f32 pos = 1.0f / (1.0f + e);
  return x >= 0 ? pos : 1.0f - pos;
}

static inline f32 tanh1(f32 x) {
  const f32 ax = x >= 0 ? x : -x;
  const f32 e = exp_nonpos(-2.0f * ax);
  const f32 t = (1.0f - e) / (1.0f + e);
  return x >= 0 ? t : -t;
}

/*
 * Forward over T steps. xw [B, T, 3H], wh [H, 3H], bh [3H], h0 [B, H], valid [B, T] (1 = real
 * step) → states [B, T, H] and, for the backward pass, saved [B, T, 4H] = r | z | n | hw_n.
 * scratch: B·3H floats.
 */
EXPORT(gru_forward)
void gru_forward(const f32 *xw, const f32 *wh, const f32 *bh, const f32 *h0, const f32 *valid,
                 f32 *states, f32 *saved, i32 B, i32 T, i32 H, f32 *scratch) {
  const i32 H3 = 3 * H, H4 = 4 * H;
  f32 *hw = scratch;
  for (i32 t = 0; t < T; t++) {
    const f32 *hp = t == 0 ? h0 : states + (t - 1) * H; /* previous states, rows hs apart */
    const i32 hs = t == 0 ? H : T * H;
    matmul(hp, wh, hw, B, H3, H, 1, 1, 0, 0, hs, 1, 0, 0, H3, 1, 0, 0, H3, 1.0f, bh, 0, 0);
    for (i32 b = 0; b < B; b++) {
      const f32 *x = xw + (b * T + t) * H3, *g = hw + b * H3, *h = hp + b * hs;
      f32 *out = states + (b * T + t) * H, *sv = saved + (b * T + t) * H4;
      const f32 v = valid[b * T + t];
      const v128_t vv = wasm_f32x4_splat(v);
      i32 j = 0;
      for (; j + 4 <= H; j += 4) {
        const v128_t r = sigmoid4(wasm_f32x4_add(wasm_v128_load(x + j), wasm_v128_load(g + j)));
        const v128_t z = sigmoid4(wasm_f32x4_add(wasm_v128_load(x + H + j), wasm_v128_load(g + H + j)));
        const v128_t hn = wasm_v128_load(g + 2 * H + j);
        const v128_t n = tanh4(wasm_f32x4_add(wasm_v128_load(x + 2 * H + j), wasm_f32x4_mul(r, hn)));
        const v128_t hv = wasm_v128_load(h + j);
        const v128_t next = wasm_f32x4_add(n, wasm_f32x4_mul(z, wasm_f32x4_sub(hv, n)));
        wasm_v128_store(out + j, wasm_f32x4_add(hv, wasm_f32x4_mul(vv, wasm_f32x4_sub(next, hv))));
        wasm_v128_store(sv + j, r);
        wasm_v128_store(sv + H + j, z);
        wasm_v128_store(sv + 2 * H + j, n);
        wasm_v128_store(sv + 3 * H + j, hn);
      }
      for (; j < H; j++) {
        const f32 r = sigmoid1(x[j] + g[j]), z = sigmoid1(x[H + j] + g[H + j]), hn = g[2 * H + j];
        const f32 n = tanh1(x[2 * H + j] + r * hn);
        const f32 next = n + z * (h[j] - n);
        out[j] = h[j] + v * (next - h[j]);
        sv[j] = r;
        sv[H + j] = z;
        sv[2 * H + j] = n;
        sv[3 * H + j] = hn;
      }
    }
  }
}

/*
 * Backward through time. dstates [B, T, H] (the gradient of every state), states and saved
 * from gru_forward, h0, valid, wh → dxw [B, T, 3H], dwh [H, 3H], dbh [3H], dh0 [B, H].
 * scratch: 3H·H (whᵀ) + B·T·3H (gradients of hw) + B·T·H (previous states) + B·H floats.
 */
EXPORT(gru_backward)
void gru_backward(const f32 *dstates, const f32 *states, const f32 *saved, const f32 *h0, const f32 *valid, const f32 *wh,
                  f32 *dxw, f32 *dwh, f32 *dbh, f32 *dh0, i32 B, i32 T, i32 H, f32 *scratch) {
  const i32 H3 = 3 * H, H4 = 4 * H;
  f32 *whT = scratch;             /* [3H, H] */
  f32 *dhw = whT + H3 * H;        /* [B, T, 3H] */
  f32 *prev = dhw + B * T * H3;   /* [B, T, H]: the state each step started from */
  f32 *carry = prev + B * T * H;  /* [B, H]: gradient flowing into the previous state */
  pack(wh, 1, H3, whT, H3, H);    /* whT[k, n] = wh[n, k] */
  for (i32 b = 0; b < B; b++) {
    copy_f32(h0 + b * H, prev + b * T * H, H);
    if (T > 1) copy_f32(states + b * T * H, prev + b * T * H + H, (T - 1) * H);
  }
  for (i32 i = 0; i < B * H; i++) carry[i] = 0.0f;
  const v128_t one = wasm_f32x4_splat(1.0f);
  for (i32 t = T - 1; t >= 0; t--) {
    for (i32 b = 0; b < B; b++) {
      const i32 bt = b * T + t;
      const f32 *dy = dstates + bt * H, *sv = saved + bt * H4, *h = prev + bt * H;
      f32 *c = carry + b * H, *dx = dxw + bt * H3, *dg = dhw + bt * H3;
      const f32 v = valid[bt];
      const v128_t vv = wasm_f32x4_splat(v), keep = wasm_f32x4_splat(1.0f - v);
      i32 j = 0;
      for (; j + 4 <= H; j += 4) {
        const v128_t d = wasm_f32x4_add(wasm_v128_load(dy + j), wasm_v128_load(c + j));
        const v128_t dn_ = wasm_f32x4_mul(vv, d); /* gradient of the new state h' */
        const v128_t r = wasm_v128_load(sv + j), z = wasm_v128_load(sv + H + j);
        const v128_t n = wasm_v128_load(sv + 2 * H + j), hn = wasm_v128_load(sv + 3 * H + j);
        const v128_t dnPre = wasm_f32x4_mul(wasm_f32x4_mul(dn_, wasm_f32x4_sub(one, z)), wasm_f32x4_sub(one, wasm_f32x4_mul(n, n)));
        const v128_t dzPre = wasm_f32x4_mul(wasm_f32x4_mul(dn_, wasm_f32x4_sub(wasm_v128_load(h + j), n)), wasm_f32x4_mul(z, wasm_f32x4_sub(one, z)));
        const v128_t drPre = wasm_f32x4_mul(wasm_f32x4_mul(dnPre, hn), wasm_f32x4_mul(r, wasm_f32x4_sub(one, r)));
        wasm_v128_store(dx + j, drPre);
        wasm_v128_store(dx + H + j, dzPre);
        wasm_v128_store(dx + 2 * H + j, dnPre);
        wasm_v128_store(dg + j, drPre);
        wasm_v128_store(dg + H + j, dzPre);
        wasm_v128_store(dg + 2 * H + j, wasm_f32x4_mul(dnPre, r));
        wasm_v128_store(c + j, wasm_f32x4_add(wasm_f32x4_mul(keep, d), wasm_f32x4_mul(dn_, z)));
      }
      for (; j < H; j++) {
        const f32 d = dy[j] + c[j], dn_ = v * d;
        const f32 r = sv[j], z = sv[H + j], n = sv[2 * H + j], hn = sv[3 * H + j];
        const f32 dnPre = dn_ * (1.0f - z) * (1.0f - n * n);
        const f32 dzPre = dn_ * (h[j] - n) * z * (1.0f - z);
        const f32 drPre = dnPre * hn * r * (1.0f - r);
        dx[j] = drPre;
        dx[H + j] = dzPre;
        dx[2 * H + j] = dnPre;
        dg[j] = drPre;
        dg[H + j] = dzPre;
        dg[2 * H + j] = dnPre * r;
        c[j] = (1.0f - v) * d + dn_ * z;
      }
    }
    /* carry += dhw_t · whᵀ: the recurrent product's gradient into the previous state */
    matmul(dhw + t * H3, whT, carry, B, H, H3, 1, 1, 0, 0, T * H3, 1, 0, 0, H, 1, 0, 0, H, 1.0f, 0, FLAG_ACCUMULATE, 0);
  }
  copy_f32(carry, dh0, B * H);
  /* dwh = Σ_t prev_tᵀ · dhw_t over every (b, t): one product with prev read transposed */
  matmul(prev, dhw, dwh, H, H3, B * T, 1, 1, 0, 0, 1, H, 0, 0, H3, 1, 0, 0, H3, 1.0f, 0, 0, 0);
  column_sum(dhw, dbh, B * T, H3, H3);
}

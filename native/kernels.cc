// semisup's native kernels: the same arithmetic as kernels in src/backend/assembly/kernels.ts (the
// baseline build) — gemm, gemmSparseA, adam, transpose and (AVX-512 only) sigmoidCrossEntropy — on
// 512-bit (AVX-512) or 256-bit (AVX2) vectors instead of WebAssembly's 128-bit ones.
// src/backend/native-kernels.ts loads it; scripts/build.mjs builds it with node-gyp.
//
// Why it exists: WebAssembly SIMD is 128 bits wide, so on a core with 256- or 512-bit vector units
// the wasm kernels get a half or a quarter of what the core can do, and training spends most of its
// time in matrix products.
//
// Why the bits are the same: every value is computed by the wasm kernel's operations in the wasm
// kernel's order, each rounded to float32 (no fused multiply-add: the compiler is told not to
// contract them). For the products, every C(i,j) is summed in the order p = 0 … k−1 from the same
// start with a multiply and an add per term, then finished by the same epilogue; which columns share
// a vector, how the work is blocked and where running sums are parked between blocks (a float32
// stored and reloaded is the same float32) change no bit. Where the wasm kernel treats some values
// apart (leftover columns finished by scalar comparisons, Adam's last weights, the loss's lanes and
// blocks), this code does the same, so even −0 and NaN come out alike. test/native-kernels.test.ts
// compares each kernel with its wasm twin bit for bit, with each instruction set.
//
// It runs in place on the tfjs wasm backend's heap: the caller hands over the heap's ArrayBuffer
// (setHeap, again whenever the memory grows and replaces it) and byte offsets into it, as for the
// wasm kernels. Every operand's extent is checked against the heap first: a bad offset is a
// JavaScript error, never a write outside the heap.
#include <node_api.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <vector>

// The vector code exists only for x86; elsewhere the addon builds, offers no instruction set, and
// the wasm products run.
#if defined(__x86_64__) || defined(__i386__)
#define SEMISUP_X86 1
#include <immintrin.h>
#endif

namespace {

// gemm's epilogue flags, as in kernels.ts.
const int RELU = 1;
const int BIAS_AFTER = 2;
const int MASK_POSITIVE = 4;
const int ACCUMULATE = 8;

// Terms summed per pass over C (B's panel stays in L1), rows of C per pass over B's columns.
const size_t K_BLOCK = 256;
const size_t M_BLOCK = 64;

uint8_t* heap = nullptr;
size_t heapBytes = 0;

// One product's arguments: byte offsets into the heap, strides and sizes in floats.
struct Product {
  size_t a, aRow, aCol, b, ldb, c, m, n, k, bias, mask;
  int flags;
};

// One k block of one block of rows: where it starts, and how its sums start and end.
struct Pass {
  size_t k0, count, i0, iEnd;
  bool first, last, biasFirst;
};

enum InstructionSet { NONE = 0, AVX2 = 1, AVX512 = 2 };
InstructionSet best = NONE;
InstructionSet chosen = NONE;

#ifdef SEMISUP_X86
inline const float* F(size_t byteOffset) { return reinterpret_cast<const float*>(heap + byteOffset); }

// The wasm kernel's finishScalar() (its leftover columns): ReLU keeps −0 and NaN.
inline float finishScalar(float s, float bias, int flags, const float* mask) {
  if (flags & BIAS_AFTER) s += bias;
  if ((flags & RELU) && s < 0) s = 0;
  if ((flags & MASK_POSITIVE) && !(*mask > 0)) s = 0;
  return s;
}

// Columns [j, n) of the pass, one value at a time, as the wasm kernel's leftover columns.
void scalarColumns(const Product& g, const Pass& s, size_t j) {
  const float* bias = g.bias ? F(g.bias) : nullptr;
  float* C = const_cast<float*>(F(g.c));
  for (; j < g.n; j++) {
    const float biasJ = bias ? bias[j] : 0.0f;
    for (size_t i = s.i0; i < s.iEnd; i++) {
      float* pc = C + i * g.n + j;
      float sum = s.first ? (s.biasFirst ? biasJ : 0.0f) : *pc;
      const float* pa = F(g.a) + i * g.aRow + s.k0 * g.aCol;
      const float* pb = F(g.b) + s.k0 * g.ldb + j;
      for (size_t p = 0; p < s.count; p++) sum = sum + pa[p * g.aCol] * pb[p * g.ldb];
      *pc = s.last ? finishScalar(sum, biasJ, g.flags, F(g.mask) + i * g.n + j) : sum;
    }
  }
}

// The operations the kernels below are written in, on vectors of 8 (AVX2) or 16 (AVX-512) floats:
// the two instruction sets differ only in these, spelled out for each.
struct Avx2 {
  typedef __m256 V;
  static const size_t WIDTH = 8;
  __attribute__((target("avx2"))) static V zero() { return _mm256_setzero_ps(); }
  __attribute__((target("avx2"))) static V load(const float* p) { return _mm256_loadu_ps(p); }
  __attribute__((target("avx2"))) static V splat(const float* p) { return _mm256_broadcast_ss(p); }
  __attribute__((target("avx2"))) static V addProduct(V c, V a, V b) { return _mm256_add_ps(c, _mm256_mul_ps(a, b)); }
  __attribute__((target("avx2"))) static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  __attribute__((target("avx2"))) static V set(float x) { return _mm256_set1_ps(x); }
  __attribute__((target("avx2"))) static V add(V a, V b) { return _mm256_add_ps(a, b); }
  __attribute__((target("avx2"))) static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  __attribute__((target("avx2"))) static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  __attribute__((target("avx2"))) static V div(V a, V b) { return _mm256_div_ps(a, b); }
  __attribute__((target("avx2"))) static V sqrt(V a) { return _mm256_sqrt_ps(a); }
  // The wasm kernel's finish(): bias after, max(·, 0) as f32x4.max does it (NaN stays NaN, −0 becomes +0), keep where mask > 0.
  __attribute__((target("avx2"))) static V finish(V acc, V bias, int flags, const float* mask) {
    if (flags & BIAS_AFTER) acc = _mm256_add_ps(acc, bias);
    if (flags & RELU) acc = _mm256_blendv_ps(_mm256_max_ps(acc, zero()), acc, _mm256_cmp_ps(acc, acc, _CMP_UNORD_Q));
    if (flags & MASK_POSITIVE) acc = _mm256_and_ps(acc, _mm256_cmp_ps(load(mask), zero(), _CMP_GT_OQ));
    return acc;
  }
};

struct Avx512 {
  typedef __m512 V;
  static const size_t WIDTH = 16;
  __attribute__((target("avx512f"))) static V zero() { return _mm512_setzero_ps(); }
  __attribute__((target("avx512f"))) static V load(const float* p) { return _mm512_loadu_ps(p); }
  __attribute__((target("avx512f"))) static V splat(const float* p) { return _mm512_set1_ps(*p); }
  __attribute__((target("avx512f"))) static V addProduct(V c, V a, V b) { return _mm512_add_ps(c, _mm512_mul_ps(a, b)); }
  __attribute__((target("avx512f"))) static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  __attribute__((target("avx512f"))) static V set(float x) { return _mm512_set1_ps(x); }
  __attribute__((target("avx512f"))) static V add(V a, V b) { return _mm512_add_ps(a, b); }
  __attribute__((target("avx512f"))) static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  __attribute__((target("avx512f"))) static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  __attribute__((target("avx512f"))) static V div(V a, V b) { return _mm512_div_ps(a, b); }
  __attribute__((target("avx512f"))) static V sqrt(V a) { return _mm512_sqrt_ps(a); }
  __attribute__((target("avx512f"))) static V finish(V acc, V bias, int flags, const float* mask) {
    if (flags & BIAS_AFTER) acc = _mm512_add_ps(acc, bias);
    if (flags & RELU) acc = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(acc, acc, _CMP_UNORD_Q), _mm512_max_ps(acc, zero()), acc);
    if (flags & MASK_POSITIVE) acc = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(load(mask), zero(), _CMP_GT_OQ), acc);
    return acc;
  }
};

// One block of C in registers, R rows × NV vectors: the running sums start (bias, 0 or C's), take
// the pass's terms, and are stored (finished on the last pass).
template <class S, int R, int NV>
__attribute__((always_inline)) inline void block(const Product& g, const Pass& s, size_t i, size_t j) {
  typedef typename S::V V;
  const float* bias = g.bias ? F(g.bias) + j : nullptr;
  float* c = const_cast<float*>(F(g.c)) + i * g.n + j;
  const float* b = F(g.b) + s.k0 * g.ldb + j;
  V acc[R][NV];
  V biasv[NV];
  for (int v = 0; v < NV; v++) biasv[v] = bias ? S::load(bias + S::WIDTH * v) : S::zero();
  for (int r = 0; r < R; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = s.first ? (s.biasFirst ? biasv[v] : S::zero()) : S::load(c + r * g.n + S::WIDTH * v);
  const float* pa[R];
  for (int r = 0; r < R; r++) pa[r] = F(g.a) + (i + r) * g.aRow + s.k0 * g.aCol;
  for (size_t p = 0; p < s.count; p++) {
    V bv[NV];
    for (int v = 0; v < NV; v++) bv[v] = S::load(b + S::WIDTH * v);
    b += g.ldb;
    for (int r = 0; r < R; r++) {
      const V av = S::splat(pa[r]);
      pa[r] += g.aCol;
      for (int v = 0; v < NV; v++) acc[r][v] = S::addProduct(acc[r][v], av, bv[v]);
    }
  }
  const float* mask = F(g.mask) + i * g.n + j;
  for (int r = 0; r < R; r++)
    for (int v = 0; v < NV; v++) S::store(c + r * g.n + S::WIDTH * v, s.last ? S::finish(acc[r][v], biasv[v], g.flags, mask + r * g.n + S::WIDTH * v) : acc[r][v]);
}

// Columns [j, end) in panels of NV vectors: R rows at a time, then the rows left one at a time.
// Returns where the panels stopped.
template <class S, int R, int NV>
__attribute__((always_inline)) inline size_t panels(const Product& g, const Pass& s, size_t j, size_t end) {
  for (; j + NV * S::WIDTH <= end; j += NV * S::WIDTH) {
    size_t i = s.i0;
    for (; i + R <= s.iEnd; i += R) block<S, R, NV>(g, s, i, j);
    for (; i < s.iEnd; i++) block<S, 1, NV>(g, s, i, j);
  }
  return j;
}

// The 256-bit panels: 4 rows × 16 columns (8 of 16 registers), then 8 columns.
__attribute__((target("avx2"))) size_t panels256(const Product& g, const Pass& s, size_t j, size_t end) {
  j = panels<Avx2, 4, 2>(g, s, j, end);
  return panels<Avx2, 4, 1>(g, s, j, end);
}

// The 512-bit panels: 8 rows × 32 columns (16 of 32 registers; fastest of 4–12 rows × 32–48 here).
__attribute__((target("avx512f"))) size_t panels512(const Product& g, const Pass& s, size_t j, size_t end) {
  return panels<Avx512, 8, 2>(g, s, j, end);
}

void product(const Product& g, InstructionSet set) {
  const size_t n8 = g.n & ~size_t(7);
  for (size_t k0 = 0; k0 < g.k || k0 == 0; k0 += K_BLOCK) {
    const size_t kEnd = g.k < k0 + K_BLOCK ? g.k : k0 + K_BLOCK;
    for (size_t i0 = 0; i0 < g.m; i0 += M_BLOCK) {
      const Pass s{k0, kEnd - k0, i0, g.m < i0 + M_BLOCK ? g.m : i0 + M_BLOCK, k0 == 0 && !(g.flags & ACCUMULATE), kEnd == g.k, g.bias != 0 && !(g.flags & BIAS_AFTER)};
      size_t j = set == AVX512 ? panels512(g, s, 0, n8) : 0;
      j = panels256(g, s, j, n8);
      scalarColumns(g, s, j);
    }
  }
}

// ---- The sparse product: gemmSparseA's sums (kernels.ts), skipping A's zeros ----
//
// gemmSparseA gives gemm's bits where no sum can be −0 (the caller checks the bias): a term whose a
// value is ±0 adds ±0, which changes no other sum, so it is skipped. Here as there, each row of A
// gets its list of non-zero terms in increasing p, and each row of C sums only its own list; the
// epilogue is finish() for the columns below the last multiple of 4 and finishScalar() for the
// rest, as in the wasm kernel (so −0 and NaN come out alike there too). ACCUMULATE is not read,
// as the wasm kernel does not read it.

struct Term {
  uint32_t p;
  float a;
};

// Columns of C per pass of the sparse product over all rows (a multiple of every panel's width).
const size_t SPARSE_COLUMNS = 128;

// finish() of one lane, for columns a vector panel does not cover: ReLU as f32x4.max (NaN stays
// NaN, −0 becomes +0).
inline float finishLane(float s, float bias, int flags, const float* mask) {
  if (flags & BIAS_AFTER) s += bias;
  if ((flags & RELU) && !(s != s)) s = s > 0 ? s : 0.0f;
  if ((flags & MASK_POSITIVE) && !(*mask > 0)) s = 0;
  return s;
}

// NV vectors of one row of C from its terms.
template <class S, int NV>
__attribute__((always_inline)) inline void sparsePanel(const Product& g, const Term* terms, size_t count, size_t i, size_t j, bool biasFirst) {
  typedef typename S::V V;
  const float* bias = g.bias ? F(g.bias) + j : nullptr;
  const float* b = F(g.b) + j;
  V acc[NV];
  V biasv[NV];
  for (int v = 0; v < NV; v++) {
    biasv[v] = bias ? S::load(bias + S::WIDTH * v) : S::zero();
    acc[v] = biasFirst ? biasv[v] : S::zero();
  }
  for (size_t t = 0; t < count; t++) {
    const V av = S::splat(&terms[t].a);
    const float* pb = b + terms[t].p * g.ldb;
    for (int v = 0; v < NV; v++) acc[v] = S::addProduct(acc[v], av, S::load(pb + S::WIDTH * v));
  }
  float* c = const_cast<float*>(F(g.c)) + i * g.n + j;
  const float* mask = F(g.mask) + i * g.n + j;
  for (int v = 0; v < NV; v++) S::store(c + S::WIDTH * v, S::finish(acc[v], biasv[v], g.flags, mask + S::WIDTH * v));
}

template <class S, int NV>
__attribute__((always_inline)) inline size_t sparsePanels(const Product& g, const Term* terms, size_t count, size_t i, size_t j, size_t end, bool biasFirst) {
  for (; j + NV * S::WIDTH <= end; j += NV * S::WIDTH) sparsePanel<S, NV>(g, terms, count, i, j, biasFirst);
  return j;
}

__attribute__((target("avx2"))) size_t sparsePanels256(const Product& g, const Term* terms, size_t count, size_t i, size_t j, size_t end, bool biasFirst) {
  j = sparsePanels<Avx2, 4>(g, terms, count, i, j, end, biasFirst);
  return sparsePanels<Avx2, 1>(g, terms, count, i, j, end, biasFirst);
}

// 128 columns per pass where they fit (eight running sums: each is a chain of dependent adds, one per term), then 64, then 16.
__attribute__((target("avx512f"))) size_t sparsePanels512(const Product& g, const Term* terms, size_t count, size_t i, size_t j, size_t end, bool biasFirst) {
  j = sparsePanels<Avx512, 8>(g, terms, count, i, j, end, biasFirst);
  j = sparsePanels<Avx512, 4>(g, terms, count, i, j, end, biasFirst);
  return sparsePanels<Avx512, 1>(g, terms, count, i, j, end, biasFirst);
}

void sparseProduct(const Product& g, InstructionSet set) {
  // Every row's terms, in increasing p: A is read in its storage order (rows or columns contiguous).
  static thread_local std::vector<Term> terms;
  static thread_local std::vector<uint32_t> counts;
  terms.resize(g.m * (g.k ? g.k : 1));
  counts.assign(g.m, 0);
  const float* A = F(g.a);
  if (g.aCol == 1 || g.aRow != 1) {
    for (size_t i = 0; i < g.m; i++) {
      Term* row = terms.data() + i * g.k;
      uint32_t count = 0;
      for (size_t p = 0; p < g.k; p++) {
        const float a = A[i * g.aRow + p * g.aCol];
        row[count] = Term{uint32_t(p), a};
        count += a != 0;
      }
      counts[i] = count;
    }
  } else {
    for (size_t p = 0; p < g.k; p++) {
      const float* column = A + p * g.aCol;
      for (size_t i = 0; i < g.m; i++) {
        const float a = column[i];
        terms[i * g.k + counts[i]] = Term{uint32_t(p), a};
        counts[i] += a != 0;
      }
    }
  }
  const bool biasFirst = g.bias != 0 && !(g.flags & BIAS_AFTER);
  const float* bias = g.bias ? F(g.bias) : nullptr;
  const float* B = F(g.b);
  float* C = const_cast<float*>(F(g.c));
  const size_t n4 = g.n & ~size_t(3);
  // SPARSE_COLUMNS of B at a time for every row: a term reads a row of B at random, so B's block
  // must stay in L2 while every row of C goes through it (all of a 784×512 B did not).
  for (size_t j0 = 0; j0 < g.n; j0 += SPARSE_COLUMNS)
  for (size_t i = 0; i < g.m; i++) {
    const Term* row = terms.data() + i * g.k;
    const size_t count = counts[i];
    const size_t end = g.n < j0 + SPARSE_COLUMNS ? g.n : j0 + SPARSE_COLUMNS;
    size_t j = set == AVX512 ? sparsePanels512(g, row, count, i, j0, end, biasFirst) : j0;
    j = sparsePanels256(g, row, count, i, j, end, biasFirst);
    for (; j < end; j++) {
      const float biasJ = bias ? bias[j] : 0.0f;
      float sum = biasFirst ? biasJ : 0.0f;
      for (size_t t = 0; t < count; t++) sum = sum + row[t].a * B[row[t].p * g.ldb + j];
      const float* mask = F(g.mask) + i * g.n + j;
      C[i * g.n + j] = j < n4 ? finishLane(sum, biasJ, g.flags, mask) : finishScalar(sum, biasJ, g.flags, mask);
    }
  }
}

// ---- Adam: adam() of kernels.ts, the same operations in the same order ----

struct AdamStep {
  size_t w, g, m, v, out, n;
  float stepSize, secondScale, beta1, beta2, epsilon;
};

// The wasm kernel's 4-lane body on S's vectors, from weight i while a whole vector is left:
// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)(g·g), out = w − (stepSize·m)/(√(v·scale) + ε). Returns where it stopped.
template <class S>
__attribute__((always_inline)) inline size_t adamVectors(const AdamStep& s, size_t i) {
  typedef typename S::V V;
  const V b1 = S::set(s.beta1), b2 = S::set(s.beta2), c1 = S::set(1 - s.beta1), c2 = S::set(1 - s.beta2);
  const V step = S::set(s.stepSize), scale = S::set(s.secondScale), eps = S::set(s.epsilon);
  const float* W = F(s.w);
  const float* G = F(s.g);
  float* M = const_cast<float*>(F(s.m));
  float* Vs = const_cast<float*>(F(s.v));
  float* out = const_cast<float*>(F(s.out));
  const size_t end = s.n - s.n % S::WIDTH;
  for (; i < end; i += S::WIDTH) {
    const V g = S::load(G + i);
    const V m = S::add(S::mul(b1, S::load(M + i)), S::mul(c1, g));
    const V v = S::add(S::mul(b2, S::load(Vs + i)), S::mul(c2, S::mul(g, g)));
    S::store(M + i, m);
    S::store(Vs + i, v);
    const V denominator = S::add(S::sqrt(S::mul(v, scale)), eps);
    S::store(out + i, S::sub(S::load(W + i), S::div(S::mul(step, m), denominator)));
  }
  return i;
}

__attribute__((target("avx512f"))) size_t adam512(const AdamStep& s, size_t i) { return adamVectors<Avx512>(s, i); }
__attribute__((target("avx2"))) size_t adam256(const AdamStep& s, size_t i) { return adamVectors<Avx2>(s, i); }

// The wasm kernel skips a group of four weights whose gradient and moments are all +0 when it
// updates in place; computing them instead gives the same bits (the moments stay +0 and w − 0/ε is w),
// so nothing is skipped here. The weights past the last multiple of 4 take the wasm kernel's scalar
// formula, whose (1−β₂)·g·g multiplies in another order than its vector body.
void adam(const AdamStep& s, InstructionSet set) {
  size_t i = set == AVX512 ? adam512(s, 0) : 0;
  i = adam256(s, i);
  const size_t n4 = s.n & ~size_t(3);
  const float* W = F(s.w);
  const float* G = F(s.g);
  float* M = const_cast<float*>(F(s.m));
  float* V = const_cast<float*>(F(s.v));
  float* out = const_cast<float*>(F(s.out));
  for (; i < s.n; i++) {
    const float g = G[i];
    const float m = s.beta1 * M[i] + (1 - s.beta1) * g;
    const float v = i < n4 ? s.beta2 * V[i] + (1 - s.beta2) * (g * g) : s.beta2 * V[i] + (1 - s.beta2) * g * g;
    M[i] = m;
    V[i] = v;
    out[i] = W[i] - (s.stepSize * m) / (sqrtf(v * s.secondScale) + s.epsilon);
  }
}

// ---- Transpose: dst = the [cols, rows] transpose of src [rows, cols] (moves only: the same bits in any order) ----

// An 8×8 block: eight rows of src (`ls` floats apart) become eight rows of dst (`ld` floats apart).
__attribute__((target("avx2"))) inline void transpose8x8(const float* src, size_t ls, float* dst, size_t ld) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * ls);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; i++) {
    _mm256_storeu_ps(dst + i * ld, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * ld, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}

// 32×32 tiles (4 KB of src and of dst: both stay in L1), each in 8×8 blocks; the edges value by value.
__attribute__((target("avx2"))) void transpose(size_t src, size_t dst, size_t rows, size_t cols) {
  const size_t TILE = 32;
  const float* S = F(src);
  float* D = const_cast<float*>(F(dst));
  const size_t rows8 = rows & ~size_t(7), cols8 = cols & ~size_t(7);
  for (size_t i0 = 0; i0 < rows8; i0 += TILE)
    for (size_t j0 = 0; j0 < cols8; j0 += TILE) {
      const size_t iEnd = rows8 < i0 + TILE ? rows8 : i0 + TILE, jEnd = cols8 < j0 + TILE ? cols8 : j0 + TILE;
      for (size_t i = i0; i < iEnd; i += 8)
        for (size_t j = j0; j < jEnd; j += 8) transpose8x8(S + i * cols + j, cols, D + j * rows + i, rows);
    }
  for (size_t i = 0; i < rows8; i++)
    for (size_t j = cols8; j < cols; j++) D[j * rows + i] = S[i * cols + j];
  for (size_t i = rows8; i < rows; i++)
    for (size_t j = 0; j < cols; j++) D[j * rows + i] = S[i * cols + j];
}

// ---- The autoencoder's loss: sigmoidCrossEntropy() of kernels.ts, the same operations in the same order ----
//
// Binary cross-entropy of sigmoid(z) against y from the logits, Σ max(z,0) − z·y + log(1 + e^−|z|), and
// grad = (sigmoid(z) − y)·gradScale. e^x and log(1 + e) are the wasm kernel's polynomials, operation for
// operation; the sum keeps its structure: four float32 lanes (lane l takes the values i ≡ l mod 4, in
// order) over blocks of 1,024 values, each block's lanes added in float64, then the values past the last
// multiple of 4 one by one.

__attribute__((target("avx512f"))) inline __m512 expNonPositive(__m512 x) {
  const __mmask16 small = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.0f), _CMP_LT_OQ);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f)));
  r = _mm512_sub_ps(r, _mm512_mul_ps(n, _mm512_set1_ps(-2.12194440e-4f)));
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(p, r), r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  const __m512i scale = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_maskz_mov_ps(~small, _mm512_mul_ps(p, _mm512_castsi512_ps(scale)));
}

__attribute__((target("avx512f"))) inline __m512 log1pUnit(__m512 e) {
  const __m512 s = _mm512_div_ps(e, _mm512_add_ps(e, _mm512_set1_ps(2.0f)));
  const __m512 s2 = _mm512_mul_ps(s, s);
  __m512 p = _mm512_set1_ps(float(1.0 / 15.0));
  p = _mm512_add_ps(_mm512_mul_ps(p, s2), _mm512_set1_ps(float(1.0 / 13.0)));
  p = _mm512_add_ps(_mm512_mul_ps(p, s2), _mm512_set1_ps(float(1.0 / 11.0)));
  p = _mm512_add_ps(_mm512_mul_ps(p, s2), _mm512_set1_ps(float(1.0 / 9.0)));
  p = _mm512_add_ps(_mm512_mul_ps(p, s2), _mm512_set1_ps(float(1.0 / 7.0)));
  p = _mm512_add_ps(_mm512_mul_ps(p, s2), _mm512_set1_ps(float(1.0 / 5.0)));
  p = _mm512_add_ps(_mm512_mul_ps(p, s2), _mm512_set1_ps(float(1.0 / 3.0)));
  p = _mm512_add_ps(_mm512_mul_ps(p, s2), _mm512_set1_ps(1.0f));
  return _mm512_mul_ps(_mm512_mul_ps(p, s), _mm512_set1_ps(2.0f));
}

// Up to 16 values: their gradients written, their losses returned (the lanes past `count` read as
// zeros and are not written).
__attribute__((target("avx512f"), always_inline)) inline __m512 crossEntropyLanes(const float* z, const float* y, float* grad, size_t count, __m512 scale) {
  const __mmask16 lanes = __mmask16((1u << count) - 1);
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
  const __m512 zv = _mm512_maskz_loadu_ps(lanes, z), yv = _mm512_maskz_loadu_ps(lanes, y);
  const __m512 negAbs = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(zv), _mm512_set1_epi32(int(0x80000000u))));
  const __m512 e = expNonPositive(negAbs);
  // max(z, 0) as f32x4.max: NaN stays NaN, −0 becomes +0.
  const __m512 positive = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(zv, zv, _CMP_UNORD_Q), _mm512_max_ps(zv, zero), zv);
  const __m512 loss = _mm512_add_ps(_mm512_sub_ps(positive, _mm512_mul_ps(zv, yv)), log1pUnit(e));
  const __m512 numerator = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(zv, zero, _CMP_GE_OQ), e, one);
  const __m512 sigmoid = _mm512_div_ps(numerator, _mm512_add_ps(one, e));
  _mm512_mask_storeu_ps(grad, lanes, _mm512_mul_ps(_mm512_sub_ps(sigmoid, yv), scale));
  return loss;
}

// acc plus the first `groups` groups of four lanes of loss, one after another (the wasm kernel's order).
__attribute__((target("avx512f"))) inline __m128 addGroups(__m128 acc, __m512 loss, size_t groups) {
  acc = _mm_add_ps(acc, _mm512_extractf32x4_ps(loss, 0));
  if (groups > 1) acc = _mm_add_ps(acc, _mm512_extractf32x4_ps(loss, 1));
  if (groups > 2) acc = _mm_add_ps(acc, _mm512_extractf32x4_ps(loss, 2));
  if (groups > 3) acc = _mm_add_ps(acc, _mm512_extractf32x4_ps(loss, 3));
  return acc;
}

__attribute__((target("avx512f"))) double sigmoidCrossEntropy(size_t zAt, size_t yAt, size_t gradAt, size_t n, float gradScale) {
  const float* z = F(zAt);
  const float* y = F(yAt);
  float* grad = const_cast<float*>(F(gradAt));
  const __m512 scale = _mm512_set1_ps(gradScale);
  const size_t n4 = n & ~size_t(3);
  double total = 0;
  size_t i = 0;
  while (i < n4) {
    const size_t blockEnd = n4 < i + 1024 ? n4 : i + 1024;
    __m128 acc = _mm_setzero_ps();
    // Each group of four values into the four lanes in turn; 16 at a time (an inlined constant
    // count: plain loads and stores), then the 4, 8 or 12 at the block's end.
    for (; i + 16 <= blockEnd; i += 16) acc = addGroups(acc, crossEntropyLanes(z + i, y + i, grad + i, 16, scale), 4);
    if (i < blockEnd) acc = addGroups(acc, crossEntropyLanes(z + i, y + i, grad + i, blockEnd - i, scale), (blockEnd - i) / 4);
    i = blockEnd;
    alignas(16) float lanes[4];
    _mm_store_ps(lanes, acc);
    total += double(lanes[0]) + double(lanes[1]) + double(lanes[2]) + double(lanes[3]);
  }
  if (i < n) {
    // The last values one by one, as the wasm kernel's scalar loop: each loss rounded to float32, added in float64.
    alignas(64) float losses[16];
    _mm512_store_ps(losses, crossEntropyLanes(z + i, y + i, grad + i, n - i, scale));
    for (size_t q = 0; q < n - i; q++) total += double(losses[q]);
  }
  return total;
}

InstructionSet detect() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return AVX512;
  if (__builtin_cpu_supports("avx2")) return AVX2;
  return NONE;
}
#else
InstructionSet detect() { return NONE; }
#endif  // SEMISUP_X86

// ---- Node-API binding ----

napi_value Throw(napi_env env, const char* message) {
  napi_throw_error(env, nullptr, message);
  return nullptr;
}

const char* NAMES[] = {"", "AVX2", "AVX-512"};

napi_value String(napi_env env, const char* text) {
  napi_value result;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &result);
  return result;
}

// The instruction set the products use: the best this CPU has ('' when none: the addon cannot run).
napi_value InstructionSetName(napi_env env, napi_callback_info) { return String(env, NAMES[chosen]); }

// Use a lesser instruction set than the best ('AVX2' on an AVX-512 CPU), or the best again (''): for tests and benchmarks.
napi_value UseInstructionSet(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  char name[16] = {0};
  size_t length = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof(name), &length) != napi_ok) return Throw(env, "useInstructionSet: expected a name");
  InstructionSet set = best;
  if (length > 0) {
    set = NONE;
    for (int s = AVX2; s <= AVX512; s++)
      if (strcmp(name, NAMES[s]) == 0) set = InstructionSet(s);
    if (set == NONE || set > best) return Throw(env, "useInstructionSet: this CPU has no such instruction set");
  }
  chosen = set;
  return InstructionSetName(env, info);
}

napi_value SetHeap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void* data = nullptr;
  size_t length = 0;
  if (argc < 1 || napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok) return Throw(env, "setHeap: expected the heap's ArrayBuffer");
  heap = static_cast<uint8_t*>(data);
  heapBytes = length;
  return nullptr;
}

// Whether the floats from byte offset `at`, rows × cols with these strides (in floats), lie in the heap.
bool inHeap(size_t at, size_t rows, size_t cols, size_t rowStride, size_t colStride) {
  if (at % 4 != 0) return false;
  if (rows == 0 || cols == 0) return at <= heapBytes;
  const size_t lastFloat = (rows - 1) * rowStride + (cols - 1) * colStride;
  return at / 4 + lastFloat < heapBytes / 4;
}

// A JavaScript error "<kernel>: <what>"; returns false, for `return fail(...)` in the readers below.
bool fail(napi_env env, const char* name, const char* what) {
  char message[128];
  snprintf(message, sizeof(message), "%s: %s", name, what);
  napi_throw_error(env, nullptr, message);
  return false;
}

// Read a kernel's arguments: exactly `expected` of them, the first `integers` as unsigned 32-bit
// integers (offsets, sizes, flags) into `out`, the rest as doubles into `reals`; and check that the
// heap is set and this CPU runs the addon.
bool readArguments(napi_env env, napi_callback_info info, const char* name, size_t expected, size_t integers, uint32_t* out, double* reals = nullptr) {
  napi_value argv[13];
  size_t argc = expected;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != expected) {
    char what[48];
    snprintf(what, sizeof(what), "expected %zu arguments", expected);
    return fail(env, name, what);
  }
  for (size_t i = 0; i < expected; i++) {
    const napi_status status = i < integers ? napi_get_value_uint32(env, argv[i], &out[i]) : napi_get_value_double(env, argv[i], &reals[i - integers]);
    if (status != napi_ok) return fail(env, name, "every argument must be a number");
  }
  if (heap == nullptr) return fail(env, name, "setHeap was not called");
  if (chosen == NONE) return fail(env, name, "this CPU has neither AVX2 nor AVX-512");
  return true;
}

// A product's arguments (gemm's twelve), checked against the heap.
bool readProduct(napi_env env, napi_callback_info info, const char* name, size_t expected, Product& g) {
  uint32_t v[13];
  if (!readArguments(env, info, name, expected, expected, v)) return false;
  g = Product{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[11], int(v[10])};
  const bool ok = inHeap(g.a, g.m, g.k, g.aRow, g.aCol) && inHeap(g.b, g.k, g.n, g.ldb, 1) && inHeap(g.c, g.m, g.n, g.n, 1) &&
      (g.bias == 0 || inHeap(g.bias, 1, g.n, 0, 1)) && (!(g.flags & MASK_POSITIVE) || inHeap(g.mask, g.m, g.n, g.n, 1));
  return ok || fail(env, name, "an operand lies outside the heap");
}

napi_value Gemm(napi_env env, napi_callback_info info) {
  Product g;
  if (!readProduct(env, info, "gemm", 12, g)) return nullptr;
#ifdef SEMISUP_X86
  product(g, chosen);
#endif
  return nullptr;
}

// As gemm, with a thirteenth argument (the wasm kernel's scratch for its lists, not used here).
napi_value GemmSparseA(napi_env env, napi_callback_info info) {
  Product g;
  if (!readProduct(env, info, "gemmSparseA", 13, g)) return nullptr;
#ifdef SEMISUP_X86
  sparseProduct(g, chosen);
#endif
  return nullptr;
}

// adam(w, g, m, v, out, n, stepSize, secondScale, beta1, beta2, epsilon): the hyperparameters are
// rounded to float32 as the wasm kernel's f32 parameters are.
napi_value Adam(napi_env env, napi_callback_info info) {
  uint32_t v[6];
  double h[5];
  if (!readArguments(env, info, "adam", 11, 6, v, h)) return nullptr;
  const AdamStep s{v[0], v[1], v[2], v[3], v[4], v[5], float(h[0]), float(h[1]), float(h[2]), float(h[3]), float(h[4])};
  if (!(inHeap(s.w, 1, s.n, 0, 1) && inHeap(s.g, 1, s.n, 0, 1) && inHeap(s.m, 1, s.n, 0, 1) && inHeap(s.v, 1, s.n, 0, 1) && inHeap(s.out, 1, s.n, 0, 1))) {
    return Throw(env, "adam: an operand lies outside the heap");
  }
#ifdef SEMISUP_X86
  adam(s, chosen);
#endif
  return nullptr;
}

// sigmoidCrossEntropy(z, y, grad, n, gradScale) → the loss summed over the n values (AVX-512 only: the
// wasm kernel runs elsewhere, see native-kernels.ts).
napi_value SigmoidCrossEntropy(napi_env env, napi_callback_info info) {
  uint32_t v[4];
  double gradScale;
  if (!readArguments(env, info, "sigmoidCrossEntropy", 5, 4, v, &gradScale)) return nullptr;
  if (chosen != AVX512) return Throw(env, "sigmoidCrossEntropy: needs AVX-512");
  if (!(inHeap(v[0], 1, v[3], 0, 1) && inHeap(v[1], 1, v[3], 0, 1) && inHeap(v[2], 1, v[3], 0, 1))) return Throw(env, "sigmoidCrossEntropy: an operand lies outside the heap");
  double total = 0;
#ifdef SEMISUP_X86
  total = sigmoidCrossEntropy(v[0], v[1], v[2], v[3], float(gradScale));
#endif
  napi_value result;
  napi_create_double(env, total, &result);
  return result;
}

napi_value Transpose(napi_env env, napi_callback_info info) {
  uint32_t v[4];
  if (!readArguments(env, info, "transpose", 4, 4, v)) return nullptr;
  if (!(inHeap(v[0], v[2], v[3], v[3], 1) && inHeap(v[1], v[3], v[2], v[2], 1))) return Throw(env, "transpose: an operand lies outside the heap");
#ifdef SEMISUP_X86
  transpose(v[0], v[1], v[2], v[3]);
#endif
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  best = chosen = detect();
  const napi_property_descriptor methods[] = {
    {"instructionSet", nullptr, InstructionSetName, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"useInstructionSet", nullptr, UseInstructionSet, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"setHeap", nullptr, SetHeap, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"gemmSparseA", nullptr, GemmSparseA, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"transpose", nullptr, Transpose, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"sigmoidCrossEntropy", nullptr, SigmoidCrossEntropy, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(methods) / sizeof(methods[0]), methods);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)

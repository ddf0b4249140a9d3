// semisup's native matrix product: the same sums as gemm in src/backend/assembly/kernels.ts (the
// baseline build), on 512-bit (AVX-512) or 256-bit (AVX2) vectors instead of WebAssembly's 128-bit
// ones. src/backend/native-kernels.ts loads it; scripts/build.mjs builds it with node-gyp.
//
// Why it exists: WebAssembly SIMD is 128 bits wide, so on a core with 256- or 512-bit vector units
// the wasm gemm gets a half or a quarter of what the core can do, and training spends most of its
// time in matrix products.
//
// Why the bits are the same: every C(i,j) is summed in the order p = 0 … k−1, from the same start,
// with a multiply and an add per term, each rounded to float32 (no fused multiply-add: the
// compiler is told not to contract them), then finished by the same epilogue. Which columns share
// a vector, how the work is blocked and where running sums are parked between blocks (a float32
// stored and reloaded is the same float32) change no bit. Columns past the last multiple of 8 are
// finished as the wasm kernel's leftover columns are (scalar comparisons), so even −0 and NaN come
// out alike. test/native-kernels.test.ts compares the two bit for bit, with each instruction set.
//
// It runs in place on the tfjs wasm backend's heap: the caller hands over the heap's ArrayBuffer
// (setHeap, again whenever the memory grows and replaces it) and byte offsets into it, as for the
// wasm kernel. Every operand's extent is checked against the heap first: a bad offset is a
// JavaScript error, never a write outside the heap.
#include <node_api.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

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

// One block of C in registers, R rows × V vectors of 8 (AVX2) or 16 (AVX-512) floats: the running
// sums start (bias, 0 or C's), take the pass's terms, and are stored (finished on the last pass).
// The two instruction sets differ only in these few operations, spelled out for each.
struct Avx2 {
  typedef __m256 V;
  static const size_t WIDTH = 8;
  __attribute__((target("avx2"))) static V zero() { return _mm256_setzero_ps(); }
  __attribute__((target("avx2"))) static V load(const float* p) { return _mm256_loadu_ps(p); }
  __attribute__((target("avx2"))) static V splat(const float* p) { return _mm256_broadcast_ss(p); }
  __attribute__((target("avx2"))) static V addProduct(V c, V a, V b) { return _mm256_add_ps(c, _mm256_mul_ps(a, b)); }
  __attribute__((target("avx2"))) static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
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
  __attribute__((target("avx512f"))) static V finish(V acc, V bias, int flags, const float* mask) {
    if (flags & BIAS_AFTER) acc = _mm512_add_ps(acc, bias);
    if (flags & RELU) acc = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(acc, acc, _CMP_UNORD_Q), _mm512_max_ps(acc, zero()), acc);
    if (flags & MASK_POSITIVE) acc = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(load(mask), zero(), _CMP_GT_OQ), acc);
    return acc;
  }
};

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

napi_value Gemm(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 12) return Throw(env, "gemm: expected 12 arguments");
  uint32_t v[12];
  for (int i = 0; i < 12; i++)
    if (napi_get_value_uint32(env, argv[i], &v[i]) != napi_ok) return Throw(env, "gemm: every argument must be a number");
  if (heap == nullptr) return Throw(env, "gemm: setHeap was not called");
  if (chosen == NONE) return Throw(env, "gemm: this CPU has neither AVX2 nor AVX-512");
  const Product g{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[11], int(v[10])};
  const bool ok = inHeap(g.a, g.m, g.k, g.aRow, g.aCol) && inHeap(g.b, g.k, g.n, g.ldb, 1) && inHeap(g.c, g.m, g.n, g.n, 1) &&
      (g.bias == 0 || inHeap(g.bias, 1, g.n, 0, 1)) && (!(g.flags & MASK_POSITIVE) || inHeap(g.mask, g.m, g.n, g.n, 1));
  if (!ok) return Throw(env, "gemm: an operand lies outside the heap");
#ifdef SEMISUP_X86
  product(g, chosen);
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
  };
  napi_define_properties(env, exports, sizeof(methods) / sizeof(methods[0]), methods);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)

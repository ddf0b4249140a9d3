// AssemblyScript source of semisup's own wasm SIMD kernels (compiled by `npm run build:kernels`
// into kernels.wasm). The module imports the tfjs wasm backend's memory, so every pointer is a
// byte offset into that heap: tensors are read and written where tfjs keeps them, no copies.
// The module has no data segment and allocates nothing; the caller owns every buffer.

/** gemm epilogue flags (combine with |). */
/** max(·, 0) on the result. */
const RELU: i32 = 1;
/** The bias is added to the finished sum (tfjs's unfused matMul then add) instead of starting it (its fused matMul). */
const BIAS_AFTER: i32 = 2;
/** Keep a result only where mask[i,j] > 0, else 0: a ReLU's gradient, with the ReLU's output as the mask. */
const MASK_POSITIVE: i32 = 4;
/** Continue the sums already in C (one product split over several calls, e.g. a filter gradient batch by batch). */
const ACCUMULATE: i32 = 8;

/**
 * c + a·b for a gemm's running sums: one fused multiply-add (rounded once) in the build with
 * relaxed SIMD (kernels-relaxed.wasm), a multiply and an add (rounded twice) in the baseline
 * build (kernels.wasm). Each build gives the same bits wherever it runs; the two builds differ.
 */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** madd for one value (the leftover columns), so every sum of a build rounds the same way. */
// @ts-ignore: decorator
@inline function maddScalar(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.extract_lane(f32x4.relaxed_madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  return c + a * b;
}

// @ts-ignore: decorator
@inline function finish(acc: v128, biasv: v128, flags: i32, maskAt: usize): v128 {
  if (flags & BIAS_AFTER) acc = f32x4.add(acc, biasv);
  if (flags & RELU) acc = f32x4.max(acc, f32x4.splat(0));
  if (flags & MASK_POSITIVE) acc = v128.and(acc, f32x4.gt(v128.load(maskAt), f32x4.splat(0)));
  return acc;
}

// @ts-ignore: decorator
@inline function finishScalar(s: f32, bias: f32, flags: i32, maskAt: usize): f32 {
  if (flags & BIAS_AFTER) s += bias;
  if ((flags & RELU) && s < 0) s = 0;
  if ((flags & MASK_POSITIVE) && !(load<f32>(maskAt) > 0)) s = 0;
  return s;
}

/** Finish and store a 4×8 block of C (rows ldc bytes apart) from its eight accumulators. */
// @ts-ignore: decorator
@inline function store4x8(pc: usize, pm: usize, ldc: usize, c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128, biasLo: v128, biasHi: v128, flags: i32): void {
  v128.store(pc, finish(c00, biasLo, flags, pm)); v128.store(pc, finish(c01, biasHi, flags, pm + 16), 16);
  v128.store(pc + ldc, finish(c10, biasLo, flags, pm + ldc)); v128.store(pc + ldc, finish(c11, biasHi, flags, pm + ldc + 16), 16);
  v128.store(pc + 2 * ldc, finish(c20, biasLo, flags, pm + 2 * ldc)); v128.store(pc + 2 * ldc, finish(c21, biasHi, flags, pm + 2 * ldc + 16), 16);
  v128.store(pc + 3 * ldc, finish(c30, biasLo, flags, pm + 3 * ldc)); v128.store(pc + 3 * ldc, finish(c31, biasHi, flags, pm + 3 * ldc + 16), 16);
}

/**
 * A 4×8 block of C: `count` terms from the given running sums (A's four rows from pa, B's
 * panel from pb), then stored — finished by the epilogue if this is the last block of terms.
 */
// @ts-ignore: decorator
@inline function block4x8(pa: usize, aRowBytes: usize, aColBytes: usize, pb: usize, ldbBytes: usize, count: i32, pc: usize, ldc: usize, pm: usize, last: bool, flags: i32, biasLo: v128, biasHi: v128,
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128): void {
  let pa0 = pa;
  const r2 = aRowBytes << 1;
  const r3 = r2 + aRowBytes;
  for (let p = 0; p < count; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa0 + aRowBytes);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa0 + r2);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa0 + r3);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa0 += aColBytes;
    pb += ldbBytes;
  }
  if (last) {
    store4x8(pc, pm, ldc, c00, c01, c10, c11, c20, c21, c30, c31, biasLo, biasHi, flags);
  } else {
    v128.store(pc, c00); v128.store(pc, c01, 16);
    v128.store(pc + ldc, c10); v128.store(pc + ldc, c11, 16);
    v128.store(pc + 2 * ldc, c20); v128.store(pc + 2 * ldc, c21, 16);
    v128.store(pc + 3 * ldc, c30); v128.store(pc + 3 * ldc, c31, 16);
  }
}

/** gemm's cache blocks: terms summed per pass over C, and rows of C per pass over B's columns. */
const K_BLOCK = 256;
const M_BLOCK = 64;

/**
 * C[m,n] = A·B with a bias and an epilogue (flags above), B row-major [k,n] with row stride ldb
 * floats; A(i,p) is at a + 4·(i·aRow + p·aCol); mask (for MASK_POSITIVE) is laid out like C.
 * Every C(i,j) is summed in the order p = 0 … k−1, one multiply and one add per term (no fused
 * multiply-add), starting from bias[j] (or 0 with BIAS_AFTER or no bias): the rounding the
 * training results depend on. The work is blocked for the caches — K_BLOCK terms at a time, the
 * running sums parked in C between blocks (a float32 stored and reloaded is the same float32, so
 * the blocking changes no bit), and M_BLOCK rows of A at a time across B's column panels.
 */
export function gemm(a: usize, aRow: i32, aCol: i32, b: usize, ldb: i32, c: usize, m: i32, n: i32, k: i32, bias: usize, flags: i32, mask: usize): void {
  const aRowBytes = <usize>aRow << 2;
  const aColBytes = <usize>aCol << 2;
  const ldbBytes = <usize>ldb << 2;
  const ldcBytes = <usize>n << 2;
  const biasFirst = bias != 0 && !(flags & BIAS_AFTER);
  const zero = f32x4.splat(0);
  for (let k0 = 0; k0 < k || k0 == 0; k0 += K_BLOCK) {
    const kEnd = min(k, k0 + K_BLOCK);
    const first = k0 == 0 && !(flags & ACCUMULATE);
    const last = kEnd == k;
    const aK = <usize>k0 * aColBytes;
    const bK = <usize>k0 * ldbBytes;
    for (let i0 = 0; i0 < m; i0 += M_BLOCK) {
      const iEnd = min(m, i0 + M_BLOCK);
      let j = 0;
      for (; j + 8 <= n; j += 8) {
        const bPanel = b + bK + (<usize>j << 2);
        const cPanel = c + (<usize>j << 2);
        const maskPanel = mask + (<usize>j << 2);
        const biasLo = bias != 0 ? v128.load(bias + (<usize>j << 2)) : zero;
        const biasHi = bias != 0 ? v128.load(bias + (<usize>j << 2), 16) : zero;
        const startLo = biasFirst ? biasLo : zero;
        const startHi = biasFirst ? biasHi : zero;
        let i = i0;
        for (; i + 4 <= iEnd; i += 4) {
          const pc = cPanel + <usize>i * ldcBytes;
          const pa = a + <usize>i * aRowBytes + aK;
          const pm = maskPanel + <usize>i * ldcBytes;
          // Two call sites of one inlined loop, so each loop starts from its own values (one loop
          // with a choice of start values gets register moves in every iteration from V8).
          if (first) {
            block4x8(pa, aRowBytes, aColBytes, bPanel, ldbBytes, kEnd - k0, pc, ldcBytes, pm, last, flags, biasLo, biasHi,
              startLo, startHi, startLo, startHi, startLo, startHi, startLo, startHi);
          } else {
            block4x8(pa, aRowBytes, aColBytes, bPanel, ldbBytes, kEnd - k0, pc, ldcBytes, pm, last, flags, biasLo, biasHi,
              v128.load(pc), v128.load(pc, 16), v128.load(pc + ldcBytes), v128.load(pc + ldcBytes, 16),
              v128.load(pc + 2 * ldcBytes), v128.load(pc + 2 * ldcBytes, 16), v128.load(pc + 3 * ldcBytes), v128.load(pc + 3 * ldcBytes, 16));
          }
        }
        for (; i < iEnd; i++) {
          const pc = cPanel + <usize>i * ldcBytes;
          let c0 = first ? startLo : v128.load(pc);
          let c1 = first ? startHi : v128.load(pc, 16);
          let pa = a + <usize>i * aRowBytes + aK;
          let pb = bPanel;
          for (let p = k0; p < kEnd; p++) {
            const av = v128.load32_splat(pa);
            c0 = madd(av, v128.load(pb), c0);
            c1 = madd(av, v128.load(pb, 16), c1);
            pa += aColBytes;
            pb += ldbBytes;
          }
          if (last) {
            const pm = maskPanel + <usize>i * ldcBytes;
            c0 = finish(c0, biasLo, flags, pm);
            c1 = finish(c1, biasHi, flags, pm + 16);
          }
          v128.store(pc, c0);
          v128.store(pc, c1, 16);
        }
      }
      // Columns left over (n not a multiple of 8): one at a time, four rows at once (one lane
      // each: a lane's multiply and add round as maddScalar's do; each sum keeps its order).
      for (; j < n; j++) {
        const biasJ: f32 = bias != 0 ? load<f32>(bias + (<usize>j << 2)) : 0;
        const start: f32 = biasFirst ? biasJ : 0;
        let i = i0;
        for (; i + 4 <= iEnd; i += 4) {
          const off = <usize>i * ldcBytes + (<usize>j << 2);
          let pa = a + <usize>i * aRowBytes + aK;
          let pb = b + bK + (<usize>j << 2);
          let s = first ? f32x4.splat(start) : f32x4(load<f32>(c + off), load<f32>(c + off + ldcBytes), load<f32>(c + off + 2 * ldcBytes), load<f32>(c + off + 3 * ldcBytes));
          for (let p = k0; p < kEnd; p++) {
            let av = v128.load32_zero(pa);
            av = v128.load32_lane(pa + aRowBytes, av, 1);
            av = v128.load32_lane(pa + 2 * aRowBytes, av, 2);
            av = v128.load32_lane(pa + 3 * aRowBytes, av, 3);
            s = madd(av, v128.load32_splat(pb), s);
            pa += aColBytes;
            pb += ldbBytes;
          }
          const s0 = f32x4.extract_lane(s, 0);
          const s1 = f32x4.extract_lane(s, 1);
          const s2 = f32x4.extract_lane(s, 2);
          const s3 = f32x4.extract_lane(s, 3);
          store<f32>(c + off, last ? finishScalar(s0, biasJ, flags, mask + off) : s0);
          store<f32>(c + off + ldcBytes, last ? finishScalar(s1, biasJ, flags, mask + off + ldcBytes) : s1);
          store<f32>(c + off + 2 * ldcBytes, last ? finishScalar(s2, biasJ, flags, mask + off + 2 * ldcBytes) : s2);
          store<f32>(c + off + 3 * ldcBytes, last ? finishScalar(s3, biasJ, flags, mask + off + 3 * ldcBytes) : s3);
        }
        for (; i < iEnd; i++) {
          const off = <usize>i * ldcBytes + (<usize>j << 2);
          let pa = a + <usize>i * aRowBytes + aK;
          let pb = b + bK + (<usize>j << 2);
          let s: f32 = first ? (biasFirst ? biasJ : 0) : load<f32>(c + off);
          for (let p = k0; p < kEnd; p++) {
            s = maddScalar(load<f32>(pa), load<f32>(pb), s);
            pa += aColBytes;
            pb += ldbBytes;
          }
          store<f32>(c + off, last ? finishScalar(s, biasJ, flags, mask + off) : s);
        }
      }
    }
  }
}

/** Bit t set where the float at `at` + 4t (t < 16) is not zero (±0): the terms a sparse row keeps. */
// @ts-ignore: decorator
@inline function nonZero16(at: usize): u32 {
  const z = f32x4.splat(0);
  const lo = i16x8.narrow_i32x4_s(f32x4.ne(v128.load(at), z), f32x4.ne(v128.load(at, 16), z));
  const hi = i16x8.narrow_i32x4_s(f32x4.ne(v128.load(at, 32), z), f32x4.ne(v128.load(at, 48), z));
  return <u32>i8x16.bitmask(i8x16.narrow_i16x8_s(lo, hi));
}

/**
 * The same product as gemm for an A that is mostly zeros (pixels of digits, masked inputs), with
 * the same result bits: a term whose a value is zero adds ±0 to a sum that is never −0, so it
 * changes nothing and is skipped. First each row of A gets its list of non-zero terms in
 * increasing p, as (byte offset of B's row p, a value) pairs — `lists` is scratch for
 * m·(2k+1) 32-bit words; then each row of C sums only its own list, 24 columns per pass, then
 * 16, 4 and single columns, or a short list in one pass over the row (sparseRowShort). Rows go
 * outermost: a row's list stays in L1 across its passes, and C is written row by row.
 */
export function gemmSparseA(a: usize, aRow: i32, aCol: i32, b: usize, ldb: i32, c: usize, m: i32, n: i32, k: i32, bias: usize, flags: i32, mask: usize, lists: usize): void {
  const ldbBytes = <usize>ldb << 2;
  const ldcBytes = <usize>n << 2;
  const listBytes = <usize>(2 * k + 1) << 2;
  const biasFirst = bias != 0 && !(flags & BIAS_AFTER);
  // Lists: the count in word 0 of each list, entries from word 1.
  for (let i = 0; i < m; i++) store<i32>(lists + <usize>i * listBytes, 0);
  if (aCol == 1) {
    // Rows of A are contiguous: scan each row 16 values at a time and visit only the non-zero ones
    // (a bit mask), as a branch per value would be mispredicted at random masked pixels.
    for (let i = 0; i < m; i++) {
      const list = lists + <usize>i * listBytes;
      let entry = list + 4;
      const row = a + <usize>i * (<usize>aRow << 2);
      let p = 0;
      for (; p + 16 <= k; p += 16) {
        const at = row + (<usize>p << 2);
        let bits = nonZero16(at);
        while (bits != 0) {
          const t = ctz(bits);
          bits &= bits - 1;
          store<u32>(entry, <u32>(<usize>(p + t) * ldbBytes));
          store<f32>(entry, load<f32>(at + (<usize>t << 2)), 4);
          entry += 8;
        }
      }
      for (; p < k; p++) {
        const v = load<f32>(row + (<usize>p << 2));
        store<u32>(entry, <u32>(<usize>p * ldbBytes));
        store<f32>(entry, v, 4);
        entry += select<usize>(8, 0, v != 0);
      }
      store<i32>(list, <i32>((entry - list - 4) >> 3));
    }
  } else {
    // A is stored transposed (its columns contiguous): scan in storage order, appending p to each
    // row's list; the leftover values without a branch (an append that is not counted).
    const aRowBytes = <usize>aRow << 2;
    for (let p = 0; p < k; p++) {
      const column = a + <usize>p * (<usize>aCol << 2);
      const bOffset = <u32>(<usize>p * ldbBytes);
      let i = 0;
      if (aRow == 1) {
        for (; i + 16 <= m; i += 16) {
          let bits = nonZero16(column + (<usize>i << 2));
          while (bits != 0) {
            const t = ctz(bits);
            bits &= bits - 1;
            const list = lists + <usize>(i + t) * listBytes;
            const count = load<i32>(list);
            const entry = list + 4 + (<usize>count << 3);
            store<u32>(entry, bOffset);
            store<f32>(entry, load<f32>(column + (<usize>(i + t) << 2)), 4);
            store<i32>(list, count + 1);
          }
        }
      }
      for (; i < m; i++) {
        const v = load<f32>(column + <usize>i * aRowBytes);
        const list = lists + <usize>i * listBytes;
        const count = load<i32>(list);
        const entry = list + 4 + (<usize>count << 3);
        store<u32>(entry, bOffset);
        store<f32>(entry, v, 4);
        store<i32>(list, count + select<i32>(1, 0, v != 0));
      }
    }
  }
  for (let i = 0; i < m; i++) {
    const list = lists + <usize>i * listBytes;
    const first = list + 4;
    const end = first + (<usize>load<i32>(list) << 3);
    const pc = c + <usize>i * ldcBytes;
    const pm = mask + <usize>i * ldcBytes;
    if (end - first < SHORT_LIST << 3) {
      sparseRowShort(first, end, b, pc, pm, n, bias, biasFirst, flags);
      continue;
    }
    let j = 0;
    for (; j + 24 <= n; j += 24) {
      const jBytes = <usize>j << 2;
      sparseRow24(first, end, b + jBytes, pc + jBytes, pm + jBytes, bias != 0 ? bias + jBytes : 0, biasFirst, flags);
    }
    for (; j + 16 <= n; j += 16) {
      const jBytes = <usize>j << 2;
      sparseRow16(first, end, b + jBytes, pc + jBytes, pm + jBytes, bias != 0 ? bias + jBytes : 0, biasFirst, flags);
    }
    for (; j + 4 <= n; j += 4) {
      const jBytes = <usize>j << 2;
      const biasv = bias != 0 ? v128.load(bias + jBytes) : f32x4.splat(0);
      let acc = biasFirst ? biasv : f32x4.splat(0);
      const bPanel = b + jBytes;
      for (let entry = first; entry < end; entry += 8) acc = madd(v128.load32_splat(entry, 4), v128.load(bPanel + <usize>load<u32>(entry)), acc);
      v128.store(pc + jBytes, finish(acc, biasv, flags, pm + jBytes));
    }
    for (; j < n; j++) {
      const jBytes = <usize>j << 2;
      const biasJ: f32 = bias != 0 ? load<f32>(bias + jBytes) : 0;
      let s: f32 = biasFirst ? biasJ : 0;
      for (let entry = first; entry < end; entry += 8) s = maddScalar(load<f32>(entry, 4), load<f32>(b + <usize>load<u32>(entry) + jBytes), s);
      store<f32>(pc + jBytes, finishScalar(s, biasJ, flags, pm + jBytes));
    }
  }
}

/** Lists shorter than this take sparseRowShort. */
const SHORT_LIST: usize = 16;

/**
 * A whole row of C from a short list (fewer than SHORT_LIST terms, e.g. a border pixel's few
 * non-zero values in a batch): term by term over all n columns, the running sums kept in C (a
 * float32 stored and reloaded is the same float32, so the bits are those of the register passes).
 * The register passes pay a set-up, six stores and a loop exit per 24 columns, which a short
 * list does not earn back (the gradient at batch 32 took 1.25× as long); here the inner loop's
 * length is n, the same for every term.
 */
// @ts-ignore: decorator
@inline function sparseRowShort(first: usize, end: usize, b: usize, pc: usize, pm: usize, n: i32, bias: usize, biasFirst: bool, flags: i32): void {
  const zero = f32x4.splat(0);
  const n4 = n & ~3;
  const nBytes = <usize>n << 2;
  const n4Bytes = <usize>n4 << 2;
  if (first == end) {
    for (let jb: usize = 0; jb < n4Bytes; jb += 16) v128.store(pc + jb, biasFirst ? v128.load(bias + jb) : zero);
    for (let jb = n4Bytes; jb < nBytes; jb += 4) store<f32>(pc + jb, biasFirst ? load<f32>(bias + jb) : 0);
  } else {
    const pb = b + <usize>load<u32>(first);
    const av = v128.load32_splat(first, 4);
    for (let jb: usize = 0; jb < n4Bytes; jb += 16) v128.store(pc + jb, madd(av, v128.load(pb + jb), biasFirst ? v128.load(bias + jb) : zero));
    const as = load<f32>(first, 4);
    for (let jb = n4Bytes; jb < nBytes; jb += 4) store<f32>(pc + jb, maddScalar(as, load<f32>(pb + jb), biasFirst ? load<f32>(bias + jb) : 0));
  }
  // Two terms per pass over the row: half the loads and stores of C.
  let entry = first + 8;
  for (; entry + 8 < end; entry += 16) {
    const pb0 = b + <usize>load<u32>(entry);
    const a0 = v128.load32_splat(entry, 4);
    const pb1 = b + <usize>load<u32>(entry, 8);
    const a1 = v128.load32_splat(entry, 12);
    for (let jb: usize = 0; jb < n4Bytes; jb += 16) v128.store(pc + jb, madd(a1, v128.load(pb1 + jb), madd(a0, v128.load(pb0 + jb), v128.load(pc + jb))));
    const s0 = load<f32>(entry, 4), s1 = load<f32>(entry, 12);
    for (let jb = n4Bytes; jb < nBytes; jb += 4) store<f32>(pc + jb, maddScalar(s1, load<f32>(pb1 + jb), maddScalar(s0, load<f32>(pb0 + jb), load<f32>(pc + jb))));
  }
  if (entry < end) {
    const pb = b + <usize>load<u32>(entry);
    const av = v128.load32_splat(entry, 4);
    for (let jb: usize = 0; jb < n4Bytes; jb += 16) v128.store(pc + jb, madd(av, v128.load(pb + jb), v128.load(pc + jb)));
    const as = load<f32>(entry, 4);
    for (let jb = n4Bytes; jb < nBytes; jb += 4) store<f32>(pc + jb, maddScalar(as, load<f32>(pb + jb), load<f32>(pc + jb)));
  }
  // The epilogue, unless it would change nothing (no flags).
  if (flags != 0) {
    for (let jb: usize = 0; jb < n4Bytes; jb += 16) v128.store(pc + jb, finish(v128.load(pc + jb), bias != 0 ? v128.load(bias + jb) : zero, flags, pm + jb));
    for (let jb = n4Bytes; jb < nBytes; jb += 4) store<f32>(pc + jb, finishScalar(load<f32>(pc + jb), bias != 0 ? load<f32>(bias + jb) : 0, flags, pm + jb));
  }
}

/**
 * 24 columns of one row of C from its list (first … end): six running sums, each a chain of
 * dependent adds, so six chains hide the add's latency where gemmSparseA's former four did not.
 * Six is the most that fits: V8 loads all of an iteration's B vectors before its first multiply,
 * so sums + loads + the broadcast a must fit the 15 xmm registers it allocates (eight sums, 32
 * columns, spilled to the stack and took 40 % longer than four).
 */
// @ts-ignore: decorator
@inline function sparseRow24(first: usize, end: usize, bPanel: usize, pc: usize, pm: usize, biasAt: usize, biasFirst: bool, flags: i32): void {
  const zero = f32x4.splat(0);
  const bias0 = biasAt != 0 ? v128.load(biasAt) : zero, bias1 = biasAt != 0 ? v128.load(biasAt, 16) : zero;
  const bias2 = biasAt != 0 ? v128.load(biasAt, 32) : zero, bias3 = biasAt != 0 ? v128.load(biasAt, 48) : zero;
  const bias4 = biasAt != 0 ? v128.load(biasAt, 64) : zero, bias5 = biasAt != 0 ? v128.load(biasAt, 80) : zero;
  let c0 = biasFirst ? bias0 : zero, c1 = biasFirst ? bias1 : zero, c2 = biasFirst ? bias2 : zero;
  let c3 = biasFirst ? bias3 : zero, c4 = biasFirst ? bias4 : zero, c5 = biasFirst ? bias5 : zero;
  for (let entry = first; entry < end; entry += 8) {
    const pb = bPanel + <usize>load<u32>(entry);
    const av = v128.load32_splat(entry, 4);
    c0 = madd(av, v128.load(pb), c0);
    c1 = madd(av, v128.load(pb, 16), c1);
    c2 = madd(av, v128.load(pb, 32), c2);
    c3 = madd(av, v128.load(pb, 48), c3);
    c4 = madd(av, v128.load(pb, 64), c4);
    c5 = madd(av, v128.load(pb, 80), c5);
  }
  v128.store(pc, finish(c0, bias0, flags, pm));
  v128.store(pc, finish(c1, bias1, flags, pm + 16), 16);
  v128.store(pc, finish(c2, bias2, flags, pm + 32), 32);
  v128.store(pc, finish(c3, bias3, flags, pm + 48), 48);
  v128.store(pc, finish(c4, bias4, flags, pm + 64), 64);
  v128.store(pc, finish(c5, bias5, flags, pm + 80), 80);
}

/** sparseRow24 for 16 columns (the rest of n = 256 after ten passes of 24). */
// @ts-ignore: decorator
@inline function sparseRow16(first: usize, end: usize, bPanel: usize, pc: usize, pm: usize, biasAt: usize, biasFirst: bool, flags: i32): void {
  const zero = f32x4.splat(0);
  const bias0 = biasAt != 0 ? v128.load(biasAt) : zero, bias1 = biasAt != 0 ? v128.load(biasAt, 16) : zero;
  const bias2 = biasAt != 0 ? v128.load(biasAt, 32) : zero, bias3 = biasAt != 0 ? v128.load(biasAt, 48) : zero;
  let c0 = biasFirst ? bias0 : zero, c1 = biasFirst ? bias1 : zero, c2 = biasFirst ? bias2 : zero, c3 = biasFirst ? bias3 : zero;
  for (let entry = first; entry < end; entry += 8) {
    const pb = bPanel + <usize>load<u32>(entry);
    const av = v128.load32_splat(entry, 4);
    c0 = madd(av, v128.load(pb), c0);
    c1 = madd(av, v128.load(pb, 16), c1);
    c2 = madd(av, v128.load(pb, 32), c2);
    c3 = madd(av, v128.load(pb, 48), c3);
  }
  v128.store(pc, finish(c0, bias0, flags, pm));
  v128.store(pc, finish(c1, bias1, flags, pm + 16), 16);
  v128.store(pc, finish(c2, bias2, flags, pm + 32), 32);
  v128.store(pc, finish(c3, bias3, flags, pm + 48), 48);
}

/**
 * im2col for an NHWC convolution: out[row, col] with row = (b·OH + oy)·OW + ox over the images
 * b in [0, batch) and col = (ky·KW + kx)·C + ci (the order of a [KH, KW, C, CO] filter's rows) is
 * x[b, oy·sh + ky − padTop, ox·sw + kx − padLeft, ci], or 0 where that falls in the padding.
 *
 * For one (row, ky) the KW·C values are one contiguous run both in x (a row of the image) and in
 * out, so a run clear of the padding is copied as a block of vectors whatever C is, and only
 * patches at the image's edges are checked tap by tap. With one channel (the first and last
 * layers) a run is 3 floats, and a tap-by-tap copy with a bounds check per tap cost more than
 * the matrix product it feeds.
 */
export function im2col(x: usize, batch: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32, oh: i32, ow: i32, out: usize): void {
  const cBytes = <usize>c << 2;
  const runBytes = <usize>kw * cBytes;
  const rowBytes = <usize>w * cBytes;
  const imageBytes = <usize>h * rowBytes;
  const xEnd = x + <usize>batch * imageBytes;
  const outEnd = out + <usize>batch * <usize>oh * <usize>ow * <usize>kh * runBytes;
  const oxLo = insideFrom(padLeft, sw, ow);
  const oxHi = insideTo(w, kw, padLeft, sw, ow, oxLo);
  const step = <usize>sw * cBytes;
  let dst = out;
  for (let b = 0; b < batch; b++) {
    const image = x + <usize>b * imageBytes;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padTop;
      if (iy0 < 0 || iy0 + kh > h) {
        for (let ox = 0; ox < ow; ox++) dst = edgePatch(dst, image, iy0, ox * sw - padLeft, h, w, kh, kw, cBytes, runBytes, outEnd, xEnd);
        continue;
      }
      for (let ox = 0; ox < oxLo; ox++) dst = edgePatch(dst, image, iy0, ox * sw - padLeft, h, w, kh, kw, cBytes, runBytes, outEnd, xEnd);
      let src = image + <usize>iy0 * rowBytes + <usize>(oxLo * sw - padLeft) * cBytes;
      const patches = oxHi - oxLo;
      // Runs shorter than a vector (one or few channels) are stored as a whole vector each; the
      // floats past the run land where the next run goes and are overwritten by it, so the line
      // may take this path only if its last vector stays inside out and x.
      const lineEnd = dst + <usize>patches * <usize>kh * runBytes;
      const lastSrc = src + <usize>(patches - 1) * step + <usize>(kh - 1) * rowBytes;
      if (runBytes < 16 && patches > 0 && lineEnd - runBytes + 16 <= outEnd && lastSrc + 16 <= xEnd) {
        for (let ox = 0; ox < patches; ox++) {
          let from = src;
          for (let ky = 0; ky < kh; ky++) {
            v128.store(dst, v128.load(from));
            dst += runBytes;
            from += rowBytes;
          }
          src += step;
        }
      } else {
        for (let ox = 0; ox < patches; ox++) {
          let from = src;
          for (let ky = 0; ky < kh; ky++) {
            copyRun(dst, from, runBytes, outEnd, xEnd);
            dst += runBytes;
            from += rowBytes;
          }
          src += step;
        }
      }
      for (let ox = oxHi; ox < ow; ox++) dst = edgePatch(dst, image, iy0, ox * sw - padLeft, h, w, kh, kw, cBytes, runBytes, outEnd, xEnd);
    }
  }
}

/** The first output column whose taps are all right of the left padding (ox·sw − padLeft ≥ 0), at most ow. */
// @ts-ignore: decorator
@inline function insideFrom(padLeft: i32, sw: i32, ow: i32): i32 {
  return min(ow, padLeft > 0 ? (padLeft + sw - 1) / sw : 0);
}

/** One past the last output column whose taps are all left of the right padding (ox·sw − padLeft + kw ≤ w), at least oxLo. */
// @ts-ignore: decorator
@inline function insideTo(w: i32, kw: i32, padLeft: i32, sw: i32, ow: i32, oxLo: i32): i32 {
  const room = w - kw + padLeft;
  return max(oxLo, room < 0 ? 0 : min(ow, room / sw + 1));
}

/** One patch (an output position) of im2col near the image's edge: each run checked against the padding. Returns the next patch's start. */
function edgePatch(dst: usize, image: usize, iy0: i32, ix0: i32, h: i32, w: i32, kh: i32, kw: i32, cBytes: usize, runBytes: usize, outEnd: usize, xEnd: usize): usize {
  const inside = ix0 >= 0 && ix0 + kw <= w;
  for (let ky = 0; ky < kh; ky++) {
    const iy = iy0 + ky;
    if (iy < 0 || iy >= h) {
      zeroRun(dst, runBytes);
    } else {
      const row = image + <usize>iy * <usize>w * cBytes;
      if (inside) copyRun(dst, row + <usize>ix0 * cBytes, runBytes, outEnd, xEnd);
      else copyTaps(dst, row, ix0, w, kw, cBytes);
    }
    dst += runBytes;
  }
  return dst;
}

/**
 * Copy `bytes` (a multiple of 4) from src to dst in 16-byte vectors. A last partial vector is
 * copied whole when both 16-byte spans lie inside their buffers: the extra floats land where the
 * following runs of im2col (written after this one) go, and are overwritten.
 */
// @ts-ignore: decorator
@inline function copyRun(dst: usize, src: usize, bytes: usize, dstEnd: usize, srcEnd: usize): void {
  let q: usize = 0;
  for (; q + 16 <= bytes; q += 16) v128.store(dst + q, v128.load(src + q));
  if (q < bytes) {
    if (bytes >= 16) v128.store(dst + bytes - 16, v128.load(src + bytes - 16));
    else if (dst + 16 <= dstEnd && src + 16 <= srcEnd) v128.store(dst, v128.load(src));
    else for (; q < bytes; q += 4) store<f32>(dst + q, load<f32>(src + q));
  }
}

/** Zero `bytes` (a multiple of 4) at dst: memory.fill calls into the runtime, slow for the few bytes of a run or a tap. */
// @ts-ignore: decorator
@inline function zeroRun(dst: usize, bytes: usize): void {
  const zero = f32x4.splat(0);
  let q: usize = 0;
  for (; q + 16 <= bytes; q += 16) v128.store(dst + q, zero);
  if (q < bytes) {
    if (bytes >= 16) v128.store(dst + bytes - 16, zero);
    else for (; q < bytes; q += 4) store<f32>(dst + q, 0);
  }
}

/** One run of im2col at the image's left or right edge: tap by tap, zeros for taps in the padding. */
function copyTaps(dst: usize, row: usize, ix0: i32, w: i32, kw: i32, cBytes: usize): void {
  const vectors = (cBytes & 15) == 0;
  for (let kx = 0; kx < kw; kx++) {
    const ix = ix0 + kx;
    if (ix < 0 || ix >= w) {
      zeroRun(dst, cBytes);
    } else {
      const src = row + <usize>ix * cBytes;
      if (vectors) for (let q: usize = 0; q < cBytes; q += 16) v128.store(dst + q, v128.load(src + q));
      else for (let q: usize = 0; q < cBytes; q += 4) store<f32>(dst + q, load<f32>(src + q));
    }
    dst += cBytes;
  }
}

/**
 * col2im, im2col's transpose (a convolution's input gradient): dx = 0 over the images
 * [0, batch), then every value of cols, laid out as im2col's output, is added to the input
 * position it was taken from — rows in order, taps in order within a row. As in im2col, a
 * (row, ky) run clear of the padding is added as a block of vectors; the taps of one row reach
 * distinct positions, so each position still receives its additions in the same order.
 */
export function col2im(cols: usize, batch: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32, oh: i32, ow: i32, dx: usize): void {
  const cBytes = <usize>c << 2;
  const runBytes = <usize>kw * cBytes;
  const rowBytes = <usize>w * cBytes;
  const imageBytes = <usize>h * rowBytes;
  const dxEnd = dx + <usize>batch * imageBytes;
  const colsEnd = cols + <usize>batch * <usize>oh * <usize>ow * <usize>kh * runBytes;
  const oxLo = insideFrom(padLeft, sw, ow);
  const oxHi = insideTo(w, kw, padLeft, sw, ow, oxLo);
  const step = <usize>sw * cBytes;
  memory.fill(dx, 0, <usize>batch * imageBytes);
  let src = cols;
  for (let b = 0; b < batch; b++) {
    const image = dx + <usize>b * imageBytes;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padTop;
      if (iy0 < 0 || iy0 + kh > h) {
        for (let ox = 0; ox < ow; ox++) src = edgeAdd(src, image, iy0, ox * sw - padLeft, h, w, kh, kw, cBytes, runBytes, dxEnd, colsEnd);
        continue;
      }
      for (let ox = 0; ox < oxLo; ox++) src = edgeAdd(src, image, iy0, ox * sw - padLeft, h, w, kh, kw, cBytes, runBytes, dxEnd, colsEnd);
      let dst = image + <usize>iy0 * rowBytes + <usize>(oxLo * sw - padLeft) * cBytes;
      const patches = oxHi - oxLo;
      // Runs of 3 floats (one channel, 3 taps): a whole vector of dx and of cols is loaded and
      // summed, and only the run's 3 lanes are stored back; the line takes this path only if
      // every load stays inside dx and cols. Other short runs go through addRun.
      const lineEnd = src + <usize>patches * <usize>kh * runBytes;
      const lastDst = dst + <usize>(patches - 1) * step + <usize>(kh - 1) * rowBytes;
      if (runBytes == 12 && patches > 0 && lineEnd - runBytes + 16 <= colsEnd && lastDst + 16 <= dxEnd) {
        for (let ox = 0; ox < patches; ox++) {
          let to = dst;
          for (let ky = 0; ky < kh; ky++) {
            const sum = f32x4.add(v128.load(to), v128.load(src));
            v128.store64_lane(to, sum, 0);
            v128.store32_lane(to, sum, 2, 8);
            src += runBytes;
            to += rowBytes;
          }
          dst += step;
        }
      } else {
        for (let ox = 0; ox < patches; ox++) {
          let to = dst;
          for (let ky = 0; ky < kh; ky++) {
            addRun(to, src, runBytes, dxEnd, colsEnd);
            src += runBytes;
            to += rowBytes;
          }
          dst += step;
        }
      }
      for (let ox = oxHi; ox < ow; ox++) src = edgeAdd(src, image, iy0, ox * sw - padLeft, h, w, kh, kw, cBytes, runBytes, dxEnd, colsEnd);
    }
  }
}

/** One patch of col2im near the image's edge: each run checked against the padding. Returns the next patch's start in cols. */
function edgeAdd(src: usize, image: usize, iy0: i32, ix0: i32, h: i32, w: i32, kh: i32, kw: i32, cBytes: usize, runBytes: usize, dxEnd: usize, colsEnd: usize): usize {
  const inside = ix0 >= 0 && ix0 + kw <= w;
  for (let ky = 0; ky < kh; ky++) {
    const iy = iy0 + ky;
    if (iy >= 0 && iy < h) {
      const row = image + <usize>iy * <usize>w * cBytes;
      if (inside) addRun(row + <usize>ix0 * cBytes, src, runBytes, dxEnd, colsEnd);
      else addTaps(row, src, ix0, w, kw, cBytes);
    }
    src += runBytes;
  }
  return src;
}

/**
 * dst[i] += src[i] over `bytes` (a multiple of 4), one addition per float. A last partial vector
 * is loaded whole when both 16-byte spans lie inside their buffers, but only its own lanes are
 * stored back.
 */
// @ts-ignore: decorator
@inline function addRun(dst: usize, src: usize, bytes: usize, dstEnd: usize, srcEnd: usize): void {
  let q: usize = 0;
  for (; q + 16 <= bytes; q += 16) v128.store(dst + q, f32x4.add(v128.load(dst + q), v128.load(src + q)));
  const left = bytes - q;
  if (left == 0) return;
  if (dst + q + 16 <= dstEnd && src + q + 16 <= srcEnd) {
    const sum = f32x4.add(v128.load(dst + q), v128.load(src + q));
    if (left == 4) v128.store32_lane(dst + q, sum, 0);
    else {
      v128.store64_lane(dst + q, sum, 0);
      if (left == 12) v128.store32_lane(dst + q, sum, 2, 8);
    }
  } else {
    for (; q < bytes; q += 4) store<f32>(dst + q, load<f32>(dst + q) + load<f32>(src + q));
  }
}

/** One run of col2im at the image's left or right edge: tap by tap, skipping taps in the padding. */
function addTaps(row: usize, src: usize, ix0: i32, w: i32, kw: i32, cBytes: usize): void {
  const vectors = (cBytes & 15) == 0;
  for (let kx = 0; kx < kw; kx++) {
    const ix = ix0 + kx;
    if (ix >= 0 && ix < w) {
      const dst = row + <usize>ix * cBytes;
      if (vectors) for (let q: usize = 0; q < cBytes; q += 16) v128.store(dst + q, f32x4.add(v128.load(dst + q), v128.load(src + q)));
      else for (let q: usize = 0; q < cBytes; q += 4) store<f32>(dst + q, load<f32>(dst + q) + load<f32>(src + q));
    }
    src += cBytes;
  }
}

/**
 * Masking noise, as src/train/batches.ts applies it: value 2j is multiplied by 0 or 1 as the low
 * 16 bits of words[j] are below `threshold` or not, value 2j+1 by the high 16 bits.
 */
export function maskPairs(values: usize, words: usize, n: i32, threshold: i32): void {
  const t = i32x4.splat(threshold);
  const low = i32x4.splat(0xffff);
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const w = v128.load(words + (<usize>i << 1));
    // Unsigned 16-bit halves as int32 lanes: signed compares are exact.
    const keepLow = i32x4.ge_s(v128.and(w, low), t);
    const keepHigh = i32x4.ge_s(i32x4.shr_u(w, 16), t);
    const first = v128.and(one, v128.shuffle<i32>(keepLow, keepHigh, 0, 4, 1, 5));
    const second = v128.and(one, v128.shuffle<i32>(keepLow, keepHigh, 2, 6, 3, 7));
    const at = values + (<usize>i << 2);
    v128.store(at, f32x4.mul(v128.load(at), first));
    v128.store(at, f32x4.mul(v128.load(at, 16), second), 16);
  }
  for (; i < n; i++) {
    const word = load<i32>(words + (<usize>(i >> 1) << 2));
    const half = (i & 1) ? <i32>(<u32>word >> 16) : word & 0xffff;
    const at = values + (<usize>i << 2);
    store<f32>(at, load<f32>(at) * (half >= threshold ? <f32>1 : <f32>0));
  }
}

/**
 * out[i] = a[i] + b[i mod bSize] (op 0) or a[i] · b[i mod bSize] (op 1) over n values, with
 * bSize = n (same shapes) or the length of a's last axes (a bias over the channels): tfjs's Add
 * and Multiply for the shapes training uses, each value one IEEE operation.
 */
export function binary(op: i32, a: usize, b: usize, out: usize, n: i32, bSize: i32): void {
  for (let start = 0; start < n; start += bSize) {
    const pa = a + (<usize>start << 2);
    const po = out + (<usize>start << 2);
    let i = 0;
    if (op == 0) {
      for (; i + 4 <= bSize; i += 4) v128.store(po + (<usize>i << 2), f32x4.add(v128.load(pa + (<usize>i << 2)), v128.load(b + (<usize>i << 2))));
      for (; i < bSize; i++) store<f32>(po + (<usize>i << 2), load<f32>(pa + (<usize>i << 2)) + load<f32>(b + (<usize>i << 2)));
    } else {
      for (; i + 4 <= bSize; i += 4) v128.store(po + (<usize>i << 2), f32x4.mul(v128.load(pa + (<usize>i << 2)), v128.load(b + (<usize>i << 2))));
      for (; i < bSize; i++) store<f32>(po + (<usize>i << 2), load<f32>(pa + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2)));
    }
  }
}

/** out = 1 where x > 0, NaN where x is NaN, else alpha (tfjs's step: a ReLU's gradient mask). */
export function step(x: usize, out: usize, n: i32, alpha: f32): void {
  const one = f32x4.splat(1);
  const other = f32x4.splat(alpha);
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const s = v128.bitselect(one, other, f32x4.gt(v, zero));
    v128.store(out + (<usize>i << 2), v128.bitselect(v, s, f32x4.ne(v, v)));
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    store<f32>(out + (<usize>i << 2), v != v ? v : v > 0 ? <f32>1 : alpha);
  }
}

/** Side of the square tiles transpose works through (see below). */
const TRANSPOSE_TILE = 32;

/**
 * dst[cols,rows] = transpose of src[rows,cols], in tiles of TRANSPOSE_TILE × TRANSPOSE_TILE
 * values, each 4 × 4 block with SIMD shuffles. Tiles matter when a row of dst is a power of two
 * bytes long (a 256-row matrix: 1 KB): 4-row strips across all of dst's rows keep hundreds of
 * rows' cache lines in a handful of cache sets, five times slower.
 */
export function transpose(src: usize, dst: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  const colBytes = <usize>rows << 2;
  const fullRows = rows & ~3;
  const fullCols = cols & ~3;
  for (let i0 = 0; i0 < fullRows; i0 += TRANSPOSE_TILE) {
    const iEnd = min(fullRows, i0 + TRANSPOSE_TILE);
    for (let j0 = 0; j0 < fullCols; j0 += TRANSPOSE_TILE) {
      const jEnd = min(fullCols, j0 + TRANSPOSE_TILE);
      for (let i = i0; i < iEnd; i += 4) {
        for (let j = j0; j < jEnd; j += 4) {
          const s = src + <usize>i * rowBytes + (<usize>j << 2);
          const r0 = v128.load(s);
          const r1 = v128.load(s + rowBytes);
          const r2 = v128.load(s + 2 * rowBytes);
          const r3 = v128.load(s + 3 * rowBytes);
          const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
          const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
          const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
          const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
          const d = dst + <usize>j * colBytes + (<usize>i << 2);
          v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
          v128.store(d + colBytes, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
          v128.store(d + 2 * colBytes, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
          v128.store(d + 3 * colBytes, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
        }
      }
    }
  }
  // The columns and rows left over (not a multiple of 4), one value at a time.
  for (let i = 0; i < fullRows; i++) {
    for (let j = fullCols; j < cols; j++) store<f32>(dst + <usize>j * colBytes + (<usize>i << 2), load<f32>(src + <usize>i * rowBytes + (<usize>j << 2)));
  }
  for (let i = fullRows; i < rows; i++) {
    for (let j = 0; j < cols; j++) store<f32>(dst + <usize>j * colBytes + (<usize>i << 2), load<f32>(src + <usize>i * rowBytes + (<usize>j << 2)));
  }
}

/**
 * dst[cols] = sum over the rows of src[rows,cols] (a bias gradient), each column summed in row
 * order. 32 columns per pass over the rows (eight accumulators), so a tall narrow matrix (a conv
 * layer's [N·H·W, 32] gradient) is read once rather than once per 4 columns.
 */
export function sumRows(src: usize, dst: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 32 <= cols; j += 32) {
    let a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero;
    let p = src + (<usize>j << 2);
    for (let i = 0; i < rows; i++) {
      a0 = f32x4.add(a0, v128.load(p)); a1 = f32x4.add(a1, v128.load(p, 16));
      a2 = f32x4.add(a2, v128.load(p, 32)); a3 = f32x4.add(a3, v128.load(p, 48));
      a4 = f32x4.add(a4, v128.load(p, 64)); a5 = f32x4.add(a5, v128.load(p, 80));
      a6 = f32x4.add(a6, v128.load(p, 96)); a7 = f32x4.add(a7, v128.load(p, 112));
      p += rowBytes;
    }
    const d = dst + (<usize>j << 2);
    v128.store(d, a0); v128.store(d, a1, 16); v128.store(d, a2, 32); v128.store(d, a3, 48);
    v128.store(d, a4, 64); v128.store(d, a5, 80); v128.store(d, a6, 96); v128.store(d, a7, 112);
  }
  for (; j + 4 <= cols; j += 4) {
    let acc = zero;
    let p = src + (<usize>j << 2);
    for (let i = 0; i < rows; i++) {
      acc = f32x4.add(acc, v128.load(p));
      p += rowBytes;
    }
    v128.store(dst + (<usize>j << 2), acc);
  }
  for (; j < cols; j++) {
    let s: f32 = 0;
    for (let i = 0; i < rows; i++) s += load<f32>(src + <usize>i * rowBytes + (<usize>j << 2));
    store<f32>(dst + (<usize>j << 2), s);
  }
}

/**
 * One Adam step over n weights: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g² (in place), and
 * out = w − stepSize·m / (√(v·secondScale) + ε), with stepSize = lr/(1−β₁ᵗ), secondScale = 1/(1−β₂ᵗ).
 */
export function adam(w: usize, g: usize, m: usize, v: usize, out: usize, n: i32, stepSize: f32, secondScale: f32, beta1: f32, beta2: f32, epsilon: f32): void {
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const c1 = f32x4.splat(1 - beta1);
  const c2 = f32x4.splat(1 - beta2);
  const step = f32x4.splat(stepSize);
  const scale = f32x4.splat(secondScale);
  const eps = f32x4.splat(epsilon);
  const inPlace = out == w;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const gv = v128.load(g + o);
    const m0 = v128.load(m + o);
    const v0 = v128.load(v + o);
    // Gradient and moments all +0 (a weight no input has reached yet, e.g. a pixel blank in every
    // image so far): the step leaves them +0 and the weight exactly as it is.
    if (inPlace && !v128.any_true(v128.or(gv, v128.or(m0, v0)))) continue;
    const mv = f32x4.add(f32x4.mul(b1, m0), f32x4.mul(c1, gv));
    const vv = f32x4.add(f32x4.mul(b2, v0), f32x4.mul(c2, f32x4.mul(gv, gv)));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    const denominator = f32x4.add(f32x4.sqrt(f32x4.mul(vv, scale)), eps);
    v128.store(out + o, f32x4.sub(v128.load(w + o), f32x4.div(f32x4.mul(step, mv), denominator)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gs = load<f32>(g + o);
    const ms = beta1 * load<f32>(m + o) + (1 - beta1) * gs;
    const vs = beta2 * load<f32>(v + o) + (1 - beta2) * gs * gs;
    store<f32>(m + o, ms);
    store<f32>(v + o, vs);
    store<f32>(out + o, load<f32>(w + o) - (stepSize * ms) / (Mathf.sqrt(vs * secondScale) + epsilon));
  }
}

/** e^x for x ≤ 0 (lanes below −87 flush to 0): Cephes' expf, range reduction by ln 2 and a degree-6 polynomial. */
// @ts-ignore: decorator
@inline function expNonPositive(x: v128): v128 {
  const small = f32x4.lt(x, f32x4.splat(-87.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.mul(f32x4.mul(p, r), r), f32x4.add(r, f32x4.splat(1.0)));
  // 2^n from the exponent bits (n ≥ −126 here, so no subnormals).
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(p, scale), small);
}

/** log(1 + e) for 0 ≤ e ≤ 1 as 2·atanh(s), s = e/(2+e) ≤ 1/3: odd series to s¹⁵ (relative error < 1e-7, exact for tiny e). */
// @ts-ignore: decorator
@inline function log1pUnit(e: v128): v128 {
  const s = f32x4.div(e, f32x4.add(e, f32x4.splat(2.0)));
  const s2 = f32x4.mul(s, s);
  let p = f32x4.splat(<f32>(1.0 / 15.0));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 13.0)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 11.0)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 9.0)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 7.0)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 5.0)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 3.0)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1.0));
  return f32x4.mul(f32x4.mul(p, s), f32x4.splat(2.0));
}

/**
 * Binary cross-entropy of sigmoid(z) against targets y, from the logits z, over n values:
 * returns Σ max(z,0) − z·y + log(1 + e^−|z|) and writes grad = (sigmoid(z) − y)·gradScale
 * (the loss's gradient with respect to z, times the caller's scale, e.g. 1/n for a mean).
 */
export function sigmoidCrossEntropy(z: usize, y: usize, grad: usize, n: i32, gradScale: f32): f64 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const scale = f32x4.splat(gradScale);
  let total: f64 = 0;
  let i = 0;
  while (i + 4 <= n) {
    // Sum in float32 lanes over short blocks, then in float64: accurate for any n.
    let acc = zero;
    const blockEnd = min(n & ~3, i + 1024);
    for (; i < blockEnd; i += 4) {
      const o = <usize>i << 2;
      const zv = v128.load(z + o);
      const yv = v128.load(y + o);
      const e = expNonPositive(f32x4.neg(f32x4.abs(zv)));
      const loss = f32x4.add(f32x4.sub(f32x4.max(zv, zero), f32x4.mul(zv, yv)), log1pUnit(e));
      acc = f32x4.add(acc, loss);
      // sigmoid(z) = 1/(1+e) for z ≥ 0, e/(1+e) for z < 0, with e = e^−|z| ≤ 1: never overflows.
      const numerator = v128.bitselect(one, e, f32x4.ge(zv, zero));
      const sigmoid = f32x4.div(numerator, f32x4.add(one, e));
      v128.store(grad + o, f32x4.mul(f32x4.sub(sigmoid, yv), scale));
    }
    total += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const zs = load<f32>(z + o);
    const ys = load<f32>(y + o);
    // The vector helpers on one lane: Mathf.exp would bring a lookup table (a data segment) along.
    const ev = expNonPositive(f32x4.splat(-abs<f32>(zs)));
    const e = f32x4.extract_lane(ev, 0);
    total += <f64>(max<f32>(zs, 0) - zs * ys + f32x4.extract_lane(log1pUnit(ev), 0));
    store<f32>(grad + o, ((zs >= 0 ? 1 : e) / (1 + e) - ys) * gradScale);
  }
  return total;
}

/**
 * out[i] = bytes[i] / 255 in float32 for n bytes: image pixels as training reads them, the same
 * float32 as BYTE_VALUE in src/data/dataset.ts (a test checks all 256), sixteen at a time.
 */
export function unitBytes(bytes: usize, out: usize, n: i32): void {
  const scale = f32x4.splat(255);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const v = v128.load(bytes + <usize>i);
    const low = i16x8.extend_low_i8x16_u(v);
    const high = i16x8.extend_high_i8x16_u(v);
    const at = out + (<usize>i << 2);
    v128.store(at, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(low)), scale));
    v128.store(at, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(low)), scale), 16);
    v128.store(at, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(high)), scale), 32);
    v128.store(at, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(high)), scale), 48);
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>load<u8>(bytes + <usize>i) / 255);
}

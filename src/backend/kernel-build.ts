/**
 * Which build of semisup's wasm kernels this runtime runs. The 'baseline' build's matrix products
 * use a multiply and an add (two roundings per term), as tfjs's own kernels do; the 'relaxed'
 * build uses fused multiply-add (relaxed SIMD's f32x4.relaxed_madd: one rounding per term),
 * 0-11 % faster in the matrix products here (the baseline build's broadcast loads closed most of
 * the gap). Their numbers differ in the last bits, so the build is part of the engine id in every
 * cache key.
 *
 * The baseline build is the default: its numbers are the same on every machine and Node ≥ 20
 * (the default run's numbers stay the ones published), while fused multiply-add gives other
 * bits, and only where the CPU has it. SEMISUP_WASM_SIMD=relaxed asks for the fused build; it
 * runs where a probe shows the multiply-add really is fused (the instruction may also be two
 * roundings on a CPU without FMA), else the baseline build does.
 *
 * Relaxed SIMD is on by default from Node 22; Node 20 and 21 have it behind
 * --experimental-wasm-relaxed-simd, which the probe sets (V8 reads wasm feature flags when it
 * validates a module, so setting it before our kernels are compiled is enough).
 */
import v8 from 'node:v8';
import { UserError } from '../errors.ts';

export type KernelBuild = 'relaxed' | 'baseline';

/** The environment variable that chooses the build: unset or 'baseline' (default), or 'relaxed'. */
export const KERNEL_BUILD_ENV = 'SEMISUP_WASM_SIMD';

/** (func (param f32 f32 f32) (result f32) f32x4.extract_lane 0 (f32x4.relaxed_madd (splat a) (splat b) (splat c))) */
const PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7d, 0x7d, 0x7d, 0x01, 0x7d, // type: (f32, f32, f32) → f32
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, // export it as "f"
  0x0a, 0x16, 0x01, 0x14, 0x00,
  0x20, 0x00, 0xfd, 0x13, 0x20, 0x01, 0xfd, 0x13, 0x20, 0x02, 0xfd, 0x13, // local.get, f32x4.splat × 3
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd
  0xfd, 0x1f, 0x00, // f32x4.extract_lane 0
  0x0b,
]);

let chosen: KernelBuild | null = null;
let fusedAvailable: boolean | null = null;

/** The probe compiled, or null where this runtime has no relaxed SIMD. */
function compileProbe(): WebAssembly.Module | null {
  try {
    return new WebAssembly.Module(PROBE);
  } catch {
    return null;
  }
}

/** The probe compiled, turning on Node 20/21's flag for relaxed SIMD if needed; null without it. */
function relaxedSimdProbe(): WebAssembly.Module | null {
  const probe = compileProbe();
  if (probe != null || Number(process.versions.node.split('.')[0]) > 21) return probe;
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return compileProbe();
}

/** (1 + 2⁻¹²)² − (1 + 2⁻¹¹) is 2⁻²⁴ exactly, but 0 when the product is rounded first. */
function multiplyAddIsFused(probe: WebAssembly.Module): boolean {
  const f = new WebAssembly.Instance(probe).exports.f as (a: number, b: number, c: number) => number;
  const a = 1 + 2 ** -12;
  return f(a, a, -(1 + 2 ** -11)) === 2 ** -24;
}

/**
 * Whether this runtime can run the relaxed build with a truly fused multiply-add (probed once;
 * on Node 20/21 this turns relaxed SIMD on, so the relaxed module can then be compiled).
 */
export function fusedMultiplyAddAvailable(): boolean {
  if (fusedAvailable == null) {
    const probe = relaxedSimdProbe();
    fusedAvailable = probe != null && multiplyAddIsFused(probe);
  }
  return fusedAvailable;
}

/** The build for SEMISUP_WASM_SIMD's value `asked`: relaxed only when asked for and available (the fallback is baseline). */
export function chooseKernelBuild(asked: string, available: () => boolean): KernelBuild {
  if (asked !== '' && asked !== 'baseline' && asked !== 'relaxed') {
    throw new UserError(`${KERNEL_BUILD_ENV}=${asked}: use baseline (the default) or relaxed (fused multiply-add where the CPU has it).`);
  }
  return asked === 'relaxed' && available() ? 'relaxed' : 'baseline';
}

/** The build this process uses (decided once, from SEMISUP_WASM_SIMD). */
export function kernelBuild(): KernelBuild {
  chosen ??= chooseKernelBuild(process.env[KERNEL_BUILD_ENV] ?? '', fusedMultiplyAddAvailable);
  return chosen;
}

/**
 * The part of the WebAssembly JS API that src/backend/simd-kernels.ts uses. Node has it globally,
 * but the ES2022 lib and @types/node 20 do not declare it (it lives in the DOM lib).
 */
declare namespace WebAssembly {
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  class Module {
    constructor(bytes: Uint8Array);
    static imports(module: Module): Array<{ module: string; name: string; kind: string }>;
    static exports(module: Module): Array<{ name: string; kind: string }>;
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}

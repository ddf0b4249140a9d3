# node-gyp's build of semisup's native kernels (scripts/build.mjs runs it at npm install).
# -ffp-contract=off: never a fused multiply-add, so every sum rounds as the wasm kernels' do (the same bits).
# -Wno-psabi, -Wno-maybe-uninitialized: GCC's note on vectors returned by functions compiled for their own
# instruction set (all internal, inlined), and a false alarm inside GCC 12's AVX-512 header.
{
  "targets": [
    {
      "target_name": "semisup_kernels",
      "sources": ["kernels.cc"],
      "cflags_cc": ["-O3", "-ffp-contract=off", "-fno-fast-math", "-Wno-psabi", "-Wno-maybe-uninitialized"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off"] }
    }
  ]
}

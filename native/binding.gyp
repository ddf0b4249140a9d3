{
  "targets": [
    {
      "target_name": "semisup_kernels",
      "sources": ["kernels.cc"],
      "cflags_cc": ["-O3", "-ffp-contract=off", "-fno-fast-math"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off"] }
    }
  ]
}

{
  "targets": [
    {
      "target_name": "cpcsv_kernels",
      "sources": ["cpcsv_kernels.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-exceptions", "-fno-math-errno", "-fno-trapping-math"],
      "cflags_cc!": ["-fno-rtti"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17"] },
      "msvs_settings": { "VCCLCompilerTool": { "Optimization": 2 } }
    }
  ]
}

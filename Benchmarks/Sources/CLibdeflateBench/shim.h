// libdeflate for the deflate engine suite. The main package's SindriCodecs is not a product, so the
// suite calls the same library the same way BlockMemberCompressor does (libdeflate_gzip_compress on
// whole 1 MiB blocks, one compressor per thread).
#ifndef SINDRI_BENCH_CLIBDEFLATE_SHIM_H
#define SINDRI_BENCH_CLIBDEFLATE_SHIM_H
#include <libdeflate.h>
#endif

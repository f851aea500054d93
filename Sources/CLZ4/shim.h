// Shim for Debian's liblz4-dev (lz4 >= 1.9): the frame API used for pre-restore snapshots.
#ifndef SINDRI_CLZ4_SHIM_H
#define SINDRI_CLZ4_SHIM_H

#include <lz4frame.h>

/// LZ4F_VERSION is a macro; exposed as a function so Swift can pass it to
/// LZ4F_createCompressionContext / LZ4F_createDecompressionContext.
static inline unsigned sindri_lz4f_version(void) {
    return LZ4F_VERSION;
}

#endif

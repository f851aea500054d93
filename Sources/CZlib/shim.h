// Shim for Debian's zlib1g-dev (zlib >= 1.2.11).
//
// deflateInit2 and inflateInit2 are macros that pass ZLIB_VERSION and sizeof(z_stream) to the
// real entry points; Swift cannot import function-like macros, so they are wrapped here.
#ifndef SINDRI_CZLIB_SHIM_H
#define SINDRI_CZLIB_SHIM_H

#include <zlib.h>

/// deflateInit2 as a function (the macro passes the header's version and struct size).
static inline int sindri_deflateInit2(z_streamp strm, int level, int method, int windowBits,
                                      int memLevel, int strategy) {
    return deflateInit2(strm, level, method, windowBits, memLevel, strategy);
}

/// inflateInit2 as a function (the macro passes the header's version and struct size).
static inline int sindri_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

#endif

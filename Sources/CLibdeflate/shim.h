// Shim for Debian's libdeflate-dev (libdeflate >= 1.10): whole-buffer gzip members and CRC-32.
#ifndef SINDRI_CLIBDEFLATE_SHIM_H
#define SINDRI_CLIBDEFLATE_SHIM_H

#include <libdeflate.h>

#endif

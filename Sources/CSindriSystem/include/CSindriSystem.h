// Thin C shims for Linux system calls that Swift cannot call directly
// (variadic `syscall`, struct open_how, renameat2 flags).
#ifndef CSINDRI_SYSTEM_H
#define CSINDRI_SYSTEM_H

#include <fcntl.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <linux/openat2.h>
#include <malloc.h>

/// openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS:
/// the kernel refuses any path that leaves `dirfd` or passes through a symlink.
/// Returns the descriptor, or -1 with errno set (ENOSYS on kernels before 5.6).
static inline int sindri_open_beneath(int dirfd, const char *path, int flags, unsigned int mode) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | 020000000 /* O_TMPFILE */)) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/// renameat2(2) with RENAME_NOREPLACE: fails with EEXIST instead of replacing.
static inline int sindri_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, 1u /* RENAME_NOREPLACE */);
}

/// syncfs(2): commits every dirty buffer of the filesystem holding `fd` (one call instead of
/// an fsync per restored file). Declared by glibc only under _GNU_SOURCE.
static inline int sindri_syncfs(int fd) { return (int)syscall(SYS_syncfs, fd); }

/// sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE): starts writing a file's dirty pages to disk
/// without waiting, so a restore's disk writes overlap its decompression and the final syncfs
/// has little left to do.
static inline int sindri_start_writeback(int fd) { return (int)syscall(SYS_sync_file_range, fd, (long long)0, (long long)0, 2u); }

/// The calling thread's errno (Swift sees errno through a macro on some libcs).
static inline int sindri_errno(void) { return errno; }

/// st_mtim of a stat buffer as seconds and nanoseconds (field names differ across libcs).
static inline int64_t sindri_stat_mtime_sec(const struct stat *st) { return (int64_t)st->st_mtim.tv_sec; }
static inline int64_t sindri_stat_mtime_nsec(const struct stat *st) { return (int64_t)st->st_mtim.tv_nsec; }

/// mallopt(M_MMAP_THRESHOLD, bytes): glibc's malloc.h is not part of Swift's Glibc module.
/// Returns 1 on success, 0 when refused.
static inline int sindri_set_mmap_threshold(int bytes) {
    return mallopt(M_MMAP_THRESHOLD, bytes);
}

#endif

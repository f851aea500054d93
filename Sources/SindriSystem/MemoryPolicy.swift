import CSindriSystem

/// How the process's allocator treats the large buffers the engine uses (S3 parts of 8-16 MiB,
/// ranged reads of several MiB, inflate windows), so that memory stays within its documented
/// bound.
public enum MemoryPolicy {
    /// Buffers at or above this size get their own mapping and go back to the system when freed.
    public static let largeBufferThreshold: Int32 = 4 << 20

    /// Fixes glibc's mmap threshold at `largeBufferThreshold`.
    ///
    /// By default glibc raises its threshold to the size of each large buffer freed (up to
    /// 32 MiB), after which buffers of that size come from the heap and stay in the process
    /// when freed: an S3 backup of 512 MiB peaked at 231-259 MiB that way, and at 156-164 MiB
    /// with the threshold fixed. A fixed threshold ends that adjustment. Returns false when the
    /// allocator refused the setting (another libc: nothing changes, nothing breaks).
    @discardableResult
    public static func returnLargeBuffersToTheSystem() -> Bool {
        sindri_set_mmap_threshold(largeBufferThreshold) == 1
    }
}

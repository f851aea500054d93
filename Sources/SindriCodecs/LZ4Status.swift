import CLZ4

/// Maps LZ4F function results (`size_t`, an error when `LZ4F_isError`) to `CodecError`.
enum LZ4Status {
    /// Returns `result` when it is not an error, otherwise throws the mapped `CodecError`.
    ///
    /// `framesCompleted` tells a bad magic number at the start (`.notLZ4`) from one after a complete frame
    /// (`.trailingGarbage`).
    static func check(
        _ result: Int, operation: String, byteOffset: Int? = nil, framesCompleted: Int = 0
    ) throws(CodecError) -> Int {
        guard LZ4F_isError(result) != 0 else { return result }
        let name = String(cString: LZ4F_getErrorName(result))
        // LZ4F encodes error n as (size_t)-n; the names come from the same list as the codes.
        let code = 0 &- result
        let kind: CodecError.Kind
        switch name {
        case "ERROR_contentChecksum_invalid", "ERROR_blockChecksum_invalid": kind = .checksumMismatch
        case "ERROR_headerChecksum_invalid", "ERROR_headerVersion_wrong", "ERROR_reservedFlag_set",
            "ERROR_maxBlockSize_invalid", "ERROR_blockMode_invalid", "ERROR_contentChecksumFlag_invalid":
            kind = .badHeader
        case "ERROR_frameType_unknown": kind = framesCompleted == 0 ? .notLZ4 : .trailingGarbage
        case "ERROR_decompressionFailed", "ERROR_frameSize_wrong": kind = .corruptData
        case "ERROR_allocation_failed": kind = .outOfMemory
        case "ERROR_dstMaxSize_tooSmall": kind = .outputTooSmall
        case "ERROR_compressionLevel_invalid", "ERROR_parameter_null", "ERROR_srcSize_tooLarge": kind = .invalidArgument
        default: kind = .libraryFailure
        }
        throw CodecError(
            kind: kind, operation: operation, library: .lz4, returnCode: code, message: name, byteOffset: byteOffset)
    }
}

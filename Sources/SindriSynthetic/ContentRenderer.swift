/// Produces the bytes of planned files, streaming large ones in bounded pieces.
///
/// Immutable after creation, so several writer threads can share one renderer.
final class ContentRenderer: Sendable {
    /// Upper bound of one piece handed to the sink; files larger than this are streamed.
    static let chunkCapacity = 1 << 20
    private let textGenerators: [TextLanguage: TextGenerator]
    private let jsonGenerator = JSONGenerator()
    private let executableContent: ExecutableContent

    /// Creates a renderer whose executable pool has `executablePoolSegments` 64 KiB segments drawn from `seed`.
    init(seed: UInt64, executablePoolSegments: Int) {
        var generators: [TextLanguage: TextGenerator] = [:]
        for language in TextLanguage.allCases { generators[language] = TextGenerator(language: language) }
        textGenerators = generators
        executableContent = ExecutableContent(seed: seed, segmentCount: executablePoolSegments)
    }

    /// Hands exactly `size` bytes of `content` to `sink`, in one or more pieces; `chunk` is reusable scratch space.
    func render(
        _ content: ContentKind, size: Int, seed: UInt64, chunk: inout [UInt8],
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        switch content {
        case .source(let language):
            let bytes = textGenerators[language]!.generate(size: size, seed: seed)
            try bytes.withUnsafeBytes(sink)
        case .json(let flavor):
            let bytes = jsonGenerator.generate(flavor, size: size, seed: seed)
            try bytes.withUnsafeBytes(sink)
        case .executable(let format):
            try executableContent.render(
                format, size: size, seed: seed, chunk: &chunk, chunkCapacity: Self.chunkCapacity, sink: sink)
        case .opaque(let format):
            try OpaqueContent.render(
                format, size: size, seed: seed, chunk: &chunk, chunkCapacity: Self.chunkCapacity, sink: sink)
        case .literal(let bytes):
            try bytes.withUnsafeBytes(sink)
        }
    }
}

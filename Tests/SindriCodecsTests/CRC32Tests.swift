import Testing

@testable import SindriCodecs

@Suite("CRC32")
struct CRC32Tests {
    @Test("the standard check value of \"123456789\" is 0xCBF43926")
    func checkValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }

    @Test("a running checksum continues from its seed, also over empty input")
    func seeded() {
        let data = SampleData.mixed(count: 300_000)
        let whole = CRC32.checksum(data)
        let first = CRC32.checksum(Array(data[..<123_456]))
        #expect(CRC32.checksum(Array(data[123_456...]), seed: first) == whole)
        #expect(CRC32.checksum([], seed: 0xDEAD_BEEF) == 0xDEAD_BEEF)
    }

    @Test("combine joins the checksums of two pieces", arguments: [0, 1, 1_000, 262_144])
    func combine(split: Int) {
        let data = SampleData.mixed(count: 262_144)
        let first = CRC32.checksum(Array(data[..<split]))
        let second = CRC32.checksum(Array(data[split...]))
        #expect(CRC32.combine(first, second, length2: data.count - split) == CRC32.checksum(data))
    }
}

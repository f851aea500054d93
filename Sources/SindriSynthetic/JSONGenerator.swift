/// Writes valid JSON documents of an exact size: whole members are added while they fit, then the gap before the
/// closing brace is filled with spaces (JSON allows any amount of whitespace there).
struct JSONGenerator: Sendable {
    private let keyProfile = TextProfile(
        indentUnit: Array("  ".utf8), identifierStyle: .camelCase, openers: [], statements: [], bodyLines: 0...0,
        localIdentifiers: 16...64)

    /// Returns exactly `size` bytes of `flavor` JSON (at least the smallest document the flavour has).
    func generate(_ flavor: JSONFlavor, size: Int, seed: UInt64) -> [UInt8] {
        var rng = Xoshiro256StarStar(seed: seed)
        let words = FileWords(profile: keyProfile, rng: &rng)
        var expander = TemplateExpander(profile: keyProfile, builtinTypes: [], modules: [], rng: rng, words: words)
        var document: [UInt8]
        let closing: [UInt8]
        var topLevelKeys: Set<[UInt8]> = []
        let member: (inout TemplateExpander, inout [UInt8]) -> Void
        switch flavor {
        case .settings:
            document = Array("{\n".utf8)
            closing = Array("\n}\n".utf8)
            member = { expander, output in
                Self.appendSettingsMember(depth: 1, keys: &topLevelKeys, expander: &expander, to: &output)
            }
        case .packageLock:
            document = []
            expander.expand(
                #"{\#n  "name": "$i",\#n  "version": "$v",\#n  "lockfileVersion": 3,\#n  "requires": true,\#n  "packages": {\#n"#,
                into: &document)
            closing = Array("\n  }\n}\n".utf8)
            member = { expander, output in Self.appendLockEntry(expander: &expander, to: &output) }
        }
        var piece: [UInt8] = []
        var first = true
        while true {
            piece.removeAll(keepingCapacity: true)
            if !first { piece.append(contentsOf: Array(",\n".utf8)) }
            member(&expander, &piece)
            guard document.count + piece.count + closing.count <= size else { break }
            document.append(contentsOf: piece)
            first = false
        }
        if document.count + closing.count < size {
            document.append(contentsOf: repeatElement(UInt8(ascii: " "), count: size - document.count - closing.count))
        }
        document.append(contentsOf: closing)
        if document.count > size { document.removeLast(document.count - size) }
        return document
    }

    /// Appends `"key": value` with a key not yet used in the enclosing object; values nest up to four levels.
    private static func appendSettingsMember(
        depth: Int, keys: inout Set<[UInt8]>, expander: inout TemplateExpander, to output: inout [UInt8]
    ) {
        var key: [UInt8] = []
        for attempt in 0..<8 {
            key.removeAll(keepingCapacity: true)
            expander.expand(attempt < 4 ? "$i" : "$i$T", into: &key)
            if !keys.contains(key) { break }
        }
        if keys.contains(key) { appendDecimal(keys.count, to: &key) }
        keys.insert(key)
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * depth))
        output.append(UInt8(ascii: "\""))
        output.append(contentsOf: key)
        output.append(contentsOf: Array("\": ".utf8))
        let roll = expander.rng.below(100)
        switch roll {
        case 0..<30: expander.expand(#""$s""#, into: &output)
        case 30..<45: expander.expand("$n", into: &output)
        case 45..<55: output.append(contentsOf: Array((expander.rng.chance(50) ? "true" : "false").utf8))
        case 55..<65: expander.expand(#"["$w", "$w", "$i"]"#, into: &output)
        case 65..<72: expander.expand(#""$v""#, into: &output)
        default:
            guard depth < 4 else {
                expander.expand(#""./$w/$i""#, into: &output)
                return
            }
            output.append(contentsOf: Array("{\n".utf8))
            var innerKeys: Set<[UInt8]> = []
            for index in 0..<expander.rng.inRange(1...6) {
                if index > 0 { output.append(contentsOf: Array(",\n".utf8)) }
                appendSettingsMember(depth: depth + 1, keys: &innerKeys, expander: &expander, to: &output)
            }
            output.append(UInt8(ascii: "\n"))
            output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * depth))
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func appendLockEntry(expander: inout TemplateExpander, to output: inout [UInt8]) {
        var name: [UInt8] = []
        let nameTemplate = expander.rng.chance(25) ? "@$w/$k-$w" : (expander.rng.chance(50) ? "$k" : "$k-$w")
        expander.expand(nameTemplate, into: &name)
        var version: [UInt8] = []
        expander.expand("$v", into: &version)
        let base = name.split(separator: UInt8(ascii: "/")).last.map(Array.init) ?? name
        output.append(contentsOf: Array("    \"node_modules/".utf8) + name + Array("\": {\n      \"version\": \"".utf8))
        output.append(contentsOf: version)
        output.append(contentsOf: Array("\",\n      \"resolved\": \"https://registry.npmjs.org/".utf8) + name)
        output.append(contentsOf: Array("/-/".utf8) + base + [UInt8(ascii: "-")] + version)
        output.append(contentsOf: Array(".tgz\",\n".utf8))
        expander.expand(#"      "integrity": "$b","#, into: &output)
        if expander.rng.chance(40) { output.append(contentsOf: Array("\n      \"dev\": true,".utf8)) }
        if expander.rng.chance(50) {
            expander.expand(#"\#n      "dependencies": {\#n        "$k": "^$v",\#n        "$k-$w": "~$v"\#n      },"#, into: &output)
        }
        expander.expand(#"\#n      "license": "MIT"\#n    }"#, into: &output)
    }
}

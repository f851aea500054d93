extension TextProfile {
    /// The profile for `language`.
    static func profile(for language: TextLanguage) -> TextProfile {
        switch language {
        case .swift: swift
        case .rust: rust
        case .typeScript: typeScript
        case .javaScript: javaScript
        case .python: python
        case .go: go
        case .shell: shell
        case .markdown: markdown
        case .yaml: yaml
        case .toml: toml
        case .cargoLock: cargoLock
        case .dotenv: dotenv
        case .log: log
        case .claudeHistory: claudeHistory
        }
    }

    static let swift = TextProfile(
        indentUnit: Array("    ".utf8), identifierStyle: .camelCase,
        header: [LineTemplate("import $m")], headerLines: 1...5,
        documentation: LineTemplate("/// $c"), documentationChance: 60,
        openers: [
            BlockOpener("func $i($i: $T, $i: $T) -> $T {", closer: "}"),
            BlockOpener("public func $i(_ $i: $T) throws -> $T {", closer: "}"),
            BlockOpener("private func $i() async throws {", closer: "}"),
            BlockOpener("struct $T: Sendable {", closer: "}"),
            BlockOpener("extension $T {", closer: "}"),
            BlockOpener("final class $T {", closer: "}"),
            BlockOpener("enum $T: String, CaseIterable {", closer: "}"),
        ],
        statements: [
            LineTemplate("let $i = $i.$i($i: $i)"),
            LineTemplate("var $i: $T = $i"),
            LineTemplate("let $i = try await $i.$i()"),
            LineTemplate("$i.$i = $i"),
            LineTemplate("return $i.$i($i)"),
            LineTemplate("guard let $i = $i[$i] else { return nil }"),
            LineTemplate("try $i.$i(\"$s\")"),
            LineTemplate("$i += $n"),
            LineTemplate("// $c"),
            LineTemplate("case $i"),
            LineTemplate("let $i: [$T] = []"),
            LineTemplate("throw $TError.$i(\"$s\")"),
        ],
        nestedOpeners: [
            BlockOpener("if $i.$i > $n {", closer: "}"),
            BlockOpener("for $i in $i {", closer: "}"),
            BlockOpener("guard $i != nil else {", closer: "}"),
            BlockOpener("switch $i {", closer: "}"),
            BlockOpener("do {", closer: "} catch { throw $TError.$i(error) }"),
        ],
        nestChance: 22, bodyLines: 2...12,
        builtinTypes: Vocabulary.swiftTypes, modules: Vocabulary.swiftModules)

    static let rust = TextProfile(
        indentUnit: Array("    ".utf8), identifierStyle: .snakeCase,
        header: [LineTemplate("use $m::{$T, $T};"), LineTemplate("use $m::$i;")], headerLines: 2...8,
        documentation: LineTemplate("/// $c"), documentationChance: 55,
        openers: [
            BlockOpener("pub fn $i(&self, $i: $T) -> Result<$T> {", closer: "}"),
            BlockOpener("fn $i($i: &$T, $i: $T) -> $T {", closer: "}"),
            BlockOpener("pub async fn $i(&mut self) -> anyhow::Result<()> {", closer: "}"),
            BlockOpener("#[derive(Debug, Clone, Serialize, Deserialize)]\npub struct $T {", closer: "}"),
            BlockOpener("impl $T {", closer: "}"),
            BlockOpener("impl From<$T> for $T {", closer: "}"),
            BlockOpener("pub enum $T {", closer: "}"),
        ],
        statements: [
            LineTemplate("let $i = self.$i.$i(&$i)?;"),
            LineTemplate("let mut $i: $T = $i::new();"),
            LineTemplate("$i.$i($i.clone());"),
            LineTemplate("self.$i = $i;"),
            LineTemplate("return Ok($i);"),
            LineTemplate("let $i = $i.get(&$i).ok_or_else(|| anyhow!(\"$s\"))?;"),
            LineTemplate("tracing::debug!(\"$s {}\", $i);"),
            LineTemplate("$i += $n;"),
            LineTemplate("// $c"),
            LineTemplate("pub $i: $T,"),
            LineTemplate("$T::$i => $i,"),
        ],
        nestedOpeners: [
            BlockOpener("if $i.$i() > $n {", closer: "}"),
            BlockOpener("for $i in $i.iter() {", closer: "}"),
            BlockOpener("match $i {", closer: "}"),
            BlockOpener("if let Some($i) = $i.$i {", closer: "}"),
        ],
        nestChance: 22, bodyLines: 2...12,
        builtinTypes: Vocabulary.rustTypes, modules: Vocabulary.rustModules)

    static let typeScript = TextProfile(
        indentUnit: Array("  ".utf8), identifierStyle: .camelCase,
        header: [LineTemplate("import { $i, $i } from '$k';"), LineTemplate("import type { $T } from './$i';")],
        headerLines: 2...8,
        documentation: LineTemplate(" * $c"), documentationChance: 30,
        openers: [
            BlockOpener("export function $i($i: $T, $i: $T): $T {", closer: "}"),
            BlockOpener("export async function $i($i: $T): Promise<$T> {", closer: "}"),
            BlockOpener("export interface $T {", closer: "}"),
            BlockOpener("export class $T {", closer: "}"),
            BlockOpener("const $i = ($i: $T) => {", closer: "};"),
            BlockOpener("export const $i = {", closer: "} as const;"),
        ],
        statements: [
            LineTemplate("const $i = await $i.$i($i);"),
            LineTemplate("const { $i, $i } = $i;"),
            LineTemplate("let $i: $T = $i.$i;"),
            LineTemplate("this.$i = $i;"),
            LineTemplate("return $i.$i($i);"),
            LineTemplate("$i: $T;"),
            LineTemplate("$i: '$s',"),
            LineTemplate("if (!$i) throw new Error('$s');"),
            LineTemplate("$i.push($i);"),
            LineTemplate("// $c"),
        ],
        nestedOpeners: [
            BlockOpener("if ($i.$i > $n) {", closer: "}"),
            BlockOpener("for (const $i of $i) {", closer: "}"),
            BlockOpener("try {", closer: "} catch ($i) { console.error($i); }"),
        ],
        nestChance: 20, bodyLines: 2...11,
        builtinTypes: Vocabulary.typeScriptTypes, modules: Vocabulary.packageWords)

    static let javaScript = TextProfile(
        indentUnit: Array("  ".utf8), identifierStyle: .camelCase,
        preamble: [LineTemplate("'use strict';")], header: [LineTemplate("const $i = require('$k');")], headerLines: 1...5,
        documentation: LineTemplate(" * @param {$T} $i $c"), documentationChance: 25,
        openers: [
            BlockOpener("function $i($i, $i) {", closer: "}"),
            BlockOpener("module.exports.$i = async function ($i) {", closer: "};"),
            BlockOpener("class $T extends $T {", closer: "}"),
            BlockOpener("const $i = {", closer: "};"),
        ],
        statements: [
            LineTemplate("var $i = $i.$i($i);"),
            LineTemplate("const $i = $i[$i] || $n;"),
            LineTemplate("this.$i = $i;"),
            LineTemplate("return $i.$i($i, $i);"),
            LineTemplate("$i: function ($i) { return $i; },"),
            LineTemplate("if (typeof $i !== 'function') throw new TypeError('$s');"),
            LineTemplate("// $c"),
        ],
        nestedOpeners: [
            BlockOpener("if ($i && $i.$i) {", closer: "}"),
            BlockOpener("for (var $i = 0; $i < $i.length; $i++) {", closer: "}"),
        ],
        nestChance: 20, bodyLines: 2...10,
        builtinTypes: Vocabulary.typeScriptTypes, modules: Vocabulary.packageWords)

    static let python = TextProfile(
        indentUnit: Array("    ".utf8), identifierStyle: .snakeCase,
        header: [LineTemplate("import $m"), LineTemplate("from $m import $i, $T")], headerLines: 2...8,
        documentation: LineTemplate("# $c"), documentationChance: 35,
        openers: [
            BlockOpener("def $i($i: $T, $i: $T = None) -> $T:"),
            BlockOpener("async def $i(self, $i: $T) -> $T:"),
            BlockOpener("class $T($T):"),
            BlockOpener("@dataclass\nclass $T:"),
        ],
        statements: [
            LineTemplate("$i = self.$i.$i($i)"),
            LineTemplate("$i: $T = $i.get(\"$i\", $n)"),
            LineTemplate("self.$i = $i"),
            LineTemplate("return $i.$i($i=$i)"),
            LineTemplate("logger.info(\"$s %s\", $i)"),
            LineTemplate("\"\"\"$p\"\"\""),
            LineTemplate("$i.append($i)"),
            LineTemplate("raise ValueError(f\"$s {$i}\")"),
            LineTemplate("# $c"),
        ],
        nestedOpeners: [
            BlockOpener("if $i is not None and $i > $n:"),
            BlockOpener("for $i in $i.$i():"),
            BlockOpener("with open($i, \"r\") as $i:"),
            BlockOpener("try:"),
        ],
        nestChance: 22, bodyLines: 2...10,
        builtinTypes: Vocabulary.pythonTypes, modules: Vocabulary.pythonModules)

    static let go = TextProfile(
        indentUnit: Array("\t".utf8), identifierStyle: .camelCase,
        preamble: [LineTemplate("package $i")], header: [LineTemplate("import \"$m\"")], headerLines: 1...5,
        documentation: LineTemplate("// $c"), documentationChance: 50,
        openers: [
            BlockOpener("func ($i *$T) $T($i $T) ($T, error) {", closer: "}"),
            BlockOpener("func $T($i context.Context, $i $T) error {", closer: "}"),
            BlockOpener("type $T struct {", closer: "}"),
        ],
        statements: [
            LineTemplate("$i, err := $i.$T($i)"),
            LineTemplate("if err != nil { return nil, fmt.Errorf(\"$s: %w\", err) }"),
            LineTemplate("$i.$i = $i"),
            LineTemplate("return $i, nil"),
            LineTemplate("$T $T `json:\"$i\"`"),
            LineTemplate("// $c"),
        ],
        nestedOpeners: [
            BlockOpener("for _, $i := range $i {", closer: "}"),
            BlockOpener("if $i > $n {", closer: "}"),
        ],
        nestChance: 20, bodyLines: 2...10,
        builtinTypes: Vocabulary.goTypes, modules: Vocabulary.goModules)

    static let shell = TextProfile(
        indentUnit: Array("  ".utf8), identifierStyle: .snakeCase,
        preamble: [LineTemplate("#!/usr/bin/env bash"), LineTemplate("set -euo pipefail")],
        documentation: LineTemplate("# $c"), documentationChance: 50,
        openers: [
            BlockOpener("$i() {", closer: "}"),
            BlockOpener("if [[ -n \"${$K:-}\" ]]; then", closer: "fi"),
        ],
        statements: [
            LineTemplate("local $i=\"$1\""),
            LineTemplate("echo \"$s: ${$i}\""),
            LineTemplate("$K=\"${$K:-$w}\""),
            LineTemplate("$i --$w \"$$$i\" >/dev/null 2>&1 || true"),
            LineTemplate("mkdir -p \"$$$K/$w\""),
            LineTemplate("# $c"),
        ],
        nestedOpeners: [BlockOpener("for $i in \"$${$i[@]}\"; do", closer: "done")],
        nestChance: 15, bodyLines: 2...8)

    static let markdown = TextProfile(
        indentUnit: [], identifierStyle: .kebabCase,
        openers: [
            BlockOpener("## $N", indentsBody: false),
            BlockOpener("### $N", indentsBody: false),
            BlockOpener("```bash", closer: "```", indentsBody: false),
        ],
        statements: [
            LineTemplate("$p $p $p"),
            LineTemplate("$p $p"),
            LineTemplate("- $p"),
            LineTemplate("- `$i`: $p"),
            LineTemplate("1. $p"),
            LineTemplate("| `$i` | $s | $n |"),
            LineTemplate(""),
        ],
        bodyLines: 3...12, localIdentifiers: 12...40)

    static let yaml = TextProfile(
        indentUnit: Array("  ".utf8), identifierStyle: .kebabCase,
        documentation: LineTemplate("# $c"), documentationChance: 20,
        openers: [BlockOpener("$i:"), BlockOpener("- name: $s")],
        statements: [
            LineTemplate("$i: $w"),
            LineTemplate("$i: \"$s\""),
            LineTemplate("$i: $n"),
            LineTemplate("$i: true"),
            LineTemplate("- $i"),
            LineTemplate("run: $w $i --$i=$w"),
            LineTemplate("image: ghcr.io/$w/$i:$v"),
        ],
        nestedOpeners: [BlockOpener("$i:"), BlockOpener("- $i:")],
        nestChance: 25, bodyLines: 2...8, blankLineAfterBlock: false, localIdentifiers: 16...48)

    static let toml = TextProfile(
        indentUnit: [], identifierStyle: .snakeCase,
        documentation: LineTemplate("# $c"), documentationChance: 20,
        openers: [BlockOpener("[$i]", indentsBody: false), BlockOpener("[$i.$i]", indentsBody: false)],
        statements: [
            LineTemplate("$i = \"$s\""),
            LineTemplate("$i = $n"),
            LineTemplate("$i = true"),
            LineTemplate("$k = \"$v\""),
            LineTemplate("$k = { version = \"$v\", features = [\"$w\", \"$w\"] }"),
        ],
        bodyLines: 2...9, localIdentifiers: 16...40)

    static let cargoLock = TextProfile(
        indentUnit: [], identifierStyle: .kebabCase,
        openers: [BlockOpener("[[package]]", indentsBody: false)],
        statements: [
            LineTemplate(#"name = "$k"\#nversion = "$v"\#nsource = "registry+https://github.com/rust-lang/crates.io-index"\#nchecksum = "$H""#),
            LineTemplate(#"name = "$k-$w"\#nversion = "$v"\#nsource = "registry+https://github.com/rust-lang/crates.io-index"\#nchecksum = "$H"\#ndependencies = [\#n "$k",\#n "$k-$w",\#n]"#),
        ],
        bodyLines: 1...1, localIdentifiers: 8...16)

    static let dotenv = TextProfile(
        indentUnit: [], identifierStyle: .snakeCase,
        openers: [BlockOpener("# $c", indentsBody: false)],
        statements: [
            LineTemplate("$K=$w"),
            LineTemplate("$K_URL=https://$w.$w.internal:$n/$i"),
            LineTemplate("$K_TOKEN=$h"),
            LineTemplate("$K=\"$s\""),
        ],
        bodyLines: 2...6, localIdentifiers: 8...24)

    static let log = TextProfile(
        indentUnit: [], identifierStyle: .snakeCase,
        openers: [BlockOpener("$d INFO  [$i] $s", indentsBody: false)],
        statements: [
            LineTemplate("$d INFO  [$i] $s: $i=$n"),
            LineTemplate("$d DEBUG [$i] $c"),
            LineTemplate("$d WARN  [$i] $s ($n ms)"),
            LineTemplate("$d INFO  [$i] installed $k@$v"),
        ],
        bodyLines: 4...16, blankLineAfterBlock: false, localIdentifiers: 8...20)

    static let claudeHistory = TextProfile(
        indentUnit: [], identifierStyle: .snakeCase,
        openers: [
            BlockOpener(#"{"parentUuid":"$u","isSidechain":false,"userType":"external","cwd":"/alt/home/developer/workspace/projects/$i","sessionId":"$u","version":"1.0.$n","gitBranch":"main","type":"user","message":{"role":"user","content":"$p $p"},"uuid":"$u","timestamp":"$d"}"#, indentsBody: false),
        ],
        statements: [
            LineTemplate(#"{"parentUuid":"$u","type":"assistant","message":{"id":"msg_$h","type":"message","role":"assistant","model":"claude-sonnet-4","content":[{"type":"text","text":"$p $p $p"}],"stop_reason":null,"usage":{"input_tokens":$n,"output_tokens":$n}},"uuid":"$u","timestamp":"$d"}"#),
            LineTemplate(#"{"parentUuid":"$u","type":"assistant","message":{"role":"assistant","content":[{"type":"tool_use","id":"toolu_$h","name":"Edit","input":{"file_path":"/alt/home/developer/workspace/projects/$i/src/$i.ts","old_string":"const $i = $i.$i($i);\n  return $i;","new_string":"const $i = await $i.$i($i, $i);\n  if (!$i) throw new Error('$s');\n  return $i;"}}]},"uuid":"$u","timestamp":"$d"}"#),
            LineTemplate(#"{"parentUuid":"$u","type":"assistant","message":{"role":"assistant","content":[{"type":"tool_use","id":"toolu_$h","name":"Bash","input":{"command":"$w $i --$i $i","description":"$p"}}]},"uuid":"$u","timestamp":"$d"}"#),
            LineTemplate(#"{"parentUuid":"$u","type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_$h","type":"tool_result","content":"$c\n$c\n$c"}]},"uuid":"$u","timestamp":"$d"}"#),
        ],
        bodyLines: 2...9, blankLineAfterBlock: false, localIdentifiers: 16...48, endsOnWholeBlock: true)
}

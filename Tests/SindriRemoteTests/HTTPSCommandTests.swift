import Foundation
import Testing
@testable import SindriRemote

/// `sindri restore|verify|list https://…` against a local HTTPS server whose self-signed
/// certificate is trusted only through `--cacert` or `SSL_CERT_FILE`.
@Suite("sindri with HTTPS", .serialized)
struct HTTPSCommandTests {
    /// A local archive of a small home, served by a new HTTPS server.
    func served(ranges: Bool, _ body: (HTTPResourceTests.Server, String, String) throws -> Void) throws {
        let scratch = try RemoteCLI.Scratch("https")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        try RemoteCLI.makeHome(at: home, bigMiB: 12)
        let archive = scratch.path + "/ws.tar.gz"
        let backup = try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", archive, "--progress", "never"], server: nil)
        #expect(backup.status == 0, "\(backup.stderr)")
        let server = try HTTPResourceTests.Server(ranges: ranges)
        defer { server.stop() }
        server.put("ws.tar.gz", Array(try Data(contentsOf: URL(fileURLWithPath: archive))))
        server.put("ws.tar.gz.sha256", Array(try Data(contentsOf: URL(fileURLWithPath: archive + ".sha256"))))
        try body(server, home, scratch.path)
    }

    @Test("restore from a server with Range support (parallel ranged GETs) and without (one streaming GET)", arguments: [true, false])
    func restore(ranges: Bool) throws {
        try served(ranges: ranges) { server, home, scratch in
            let restored = scratch + "/restored"
            try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
            let result = try RemoteCLI.run(["restore", server.url("ws.tar.gz"), "--home", restored, "--no-interactive", "--progress", "never",
                                            "--cacert", server.certificate], server: nil)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try RemoteCLI.tree(restored) == RemoteCLI.tree(home))
            let list = try RemoteCLI.run(["list", server.url("ws.tar.gz")], server: nil, extra: ["SSL_CERT_FILE": server.certificate])
            #expect(list.status == 0, "\(list.stderr)")
            #expect(list.stdout.contains("workspace/data.bin"))
        }
    }

    @Test("verify trusts SSL_CERT_FILE; without it the certificate is refused in one line naming --cacert")
    func trust() throws {
        try served(ranges: true) { server, _, _ in
            let trusted = try RemoteCLI.run(["verify", server.url("ws.tar.gz"), "--progress", "never"], server: nil,
                                            extra: ["SSL_CERT_FILE": server.certificate])
            #expect(trusted.status == 0, "\(trusted.stderr)")
            let refused = try RemoteCLI.run(["verify", server.url("ws.tar.gz"), "--progress", "never"], server: nil, extra: ["SINDRI_REMOTE_ATTEMPTS": "1"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("--cacert") && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
            let missing = try RemoteCLI.run(["verify", server.url("none.tar.gz"), "--cacert", server.certificate], server: nil)
            #expect(missing.status == 64, "\(missing.stderr)")
        }
    }

    @Test("a .sha256 beside the archive that does not match fails verification (4) before anything is written")
    func sidecarMismatch() throws {
        try served(ranges: true) { server, _, scratch in
            server.put("ws.tar.gz.sha256", Array((String(repeating: "0", count: 64) + "  ws.tar.gz\n").utf8))
            let restored = scratch + "/restored"
            try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
            let result = try RemoteCLI.run(["restore", server.url("ws.tar.gz"), "--home", restored, "--no-interactive", "--progress", "never",
                                            "--cacert", server.certificate], server: nil)
            #expect(result.status == 4, "\(result.stderr)")
            #expect(result.stderr.contains(".sha256"))
            #expect(try RemoteCLI.tree(restored).isEmpty)
        }
    }
}

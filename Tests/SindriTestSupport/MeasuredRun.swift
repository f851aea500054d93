import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the `sindri` binary under a Python parent that reports the child's peak memory, with a time limit.
package enum MeasuredRun {
    package struct Result: Sendable {
        package var status: Int32
        package var maxResidentKiB: Int
        package var timedOut: Bool
        package var stderr: String
    }

    package static func sindri(_ arguments: [String], home envHome: String, timeoutSeconds: Int = 120) throws -> Result {
        let script = """
            import json, os, resource, subprocess, sys
            env = dict(os.environ, HOME=sys.argv[1])
            timeout = int(sys.argv[2])
            try:
                p = subprocess.run(sys.argv[3:], stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=timeout, cwd=sys.argv[1])
                status, err, timed_out = p.returncode, p.stderr.decode('utf-8', 'replace'), False
            except subprocess.TimeoutExpired as e:
                status, err, timed_out = -1, (e.stderr or b'').decode('utf-8', 'replace'), True
            print(json.dumps({'status': status, 'maxrss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                              'timed_out': timed_out, 'stderr': err}))
            """
        let output = try Shell.python(script, [envHome, String(timeoutSeconds), Sindri.binary] + arguments)
        guard output.status == 0,
              let object = try JSONSerialization.jsonObject(with: output.stdout) as? [String: Any] else {
            throw RestoreTestError.pythonFailed(output.stderr)
        }
        return Result(status: Int32(object["status"] as? Int ?? -1), maxResidentKiB: object["maxrss"] as? Int ?? 0,
                      timedOut: object["timed_out"] as? Bool ?? true, stderr: object["stderr"] as? String ?? "")
    }
}

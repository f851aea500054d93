"""A small HTTPS file server for the tests, on 127.0.0.1 and a free port.

    python3 https_server.py DIR CERT KEY [--no-range]

Serves DIR read-only over TLS with the given certificate; with Range support (one
`bytes=a-b` range, 206 + Content-Range, Accept-Ranges: bytes) unless --no-range, in which
case it answers 200 with the whole file like python's plain http.server. Prints the port on
the first line of stdout, then serves until stdin closes (so it ends with the test).
"""
import http.server
import os
import re
import ssl
import sys
import threading

directory, cert, key = sys.argv[1], sys.argv[2], sys.argv[3]
ranges = "--no-range" not in sys.argv


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=directory, **kwargs)

    def log_message(self, *args):
        pass

    def send_head(self):
        if not ranges:
            return super().send_head()
        path = self.translate_path(self.path)
        if not os.path.isfile(path):
            self.send_error(404)
            return None
        size = os.path.getsize(path)
        f = open(path, "rb")
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if match:
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else size - 1
            end = min(end, size - 1)
            if start > end:
                f.close()
                self.send_error(416)
                return None
            f.seek(start)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.send_header("Content-Length", str(end - start + 1))
            self.remaining = end - start + 1
        else:
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.remaining = size
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        return f

    def copyfile(self, source, outputfile):
        if not ranges:
            return super().copyfile(source, outputfile)
        left = self.remaining
        while left > 0:
            chunk = source.read(min(left, 1 << 16))
            if not chunk:
                break
            outputfile.write(chunk)
            left -= len(chunk)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
server.shutdown()

"""An HTTP proxy that injects object-storage failures, for the tests; 127.0.0.1 only.

    python3 fault_proxy.py UPSTREAM_PORT --every N --faults drop,500,503,slowdown,stall,truncate [--stall S]

Forwards each request to 127.0.0.1:UPSTREAM_PORT unchanged (the Host header, which the
signature covers, is passed through), except every Nth request, which gets the next fault of
the list in turn:
  drop      close the connection without answering
  500       500 InternalError
  503       503 ServiceUnavailable
  slowdown  503 SlowDown (S3's throttling answer)
  stall     answer nothing for S seconds, then close (the client's read timeout must fire)
  truncate  forward, then send the headers and only half of the body, then close
--delay S slows every request down by S seconds (time to kill a backup mid-upload);
--fail-parts-after K answers 500 to every part upload after the first K (a backup that
cannot finish). Prints its port on the first line; one line per fault on stderr; ends when stdin closes.
"""
import argparse
import socket
import sys
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("upstream", type=int)
parser.add_argument("--every", type=int, default=3)
parser.add_argument("--faults", default="drop,500,503,slowdown,stall,truncate")
parser.add_argument("--stall", type=float, default=5)
parser.add_argument("--delay", type=float, default=0)
parser.add_argument("--fail-parts-after", type=int, default=-1)
args = parser.parse_args()
faults = args.faults.split(",")
lock = threading.Lock()
counter = [0]
parts = [0]


def read_request(conn, pending):
    while b"\r\n\r\n" not in pending:
        data = conn.recv(65536)
        if not data:
            return None, b""
        pending += data
    head, rest = pending.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        data = conn.recv(65536)
        if not data:
            return None, b""
        rest += data
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def upstream_exchange(request):
    head, body = request.split(b"\r\n\r\n", 1)
    lines = [l for l in head.split(b"\r\n") if not l.lower().startswith(b"connection:")]
    lines.append(b"Connection: close")
    up = socket.create_connection(("127.0.0.1", args.upstream))
    up.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
    chunks = []
    while True:
        data = up.recv(1 << 20)
        if not data:
            break
        chunks.append(data)
    up.close()
    return b"".join(chunks)


def canned(status, code, message):
    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'.encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


def serve(conn):
    pending = b""
    try:
        while True:
            request, pending = read_request(conn, pending)
            if request is None:
                return
            with lock:
                counter[0] += 1
                n = counter[0]
            fault = faults[(n // args.every - 1) % len(faults)] if args.every > 0 and n % args.every == 0 else None
            if args.delay:
                time.sleep(args.delay)
            if args.fail_parts_after >= 0 and b"partNumber=" in request.split(b"\r\n", 1)[0]:
                with lock:
                    parts[0] += 1
                    if parts[0] > args.fail_parts_after:
                        fault = "500"
            if fault:
                print(f"fault {fault} on request {n}: {request.split(b' ', 2)[:2]}", file=sys.stderr, flush=True)
            if fault == "drop":
                return
            if fault == "500":
                conn.sendall(canned("500 Internal Server Error", "InternalError", "injected"))
                return
            if fault == "503":
                conn.sendall(canned("503 Service Unavailable", "ServiceUnavailable", "injected"))
                return
            if fault == "slowdown":
                conn.sendall(canned("503 Slow Down", "SlowDown", "Please reduce your request rate."))
                return
            if fault == "stall":
                time.sleep(args.stall)
                return
            response = upstream_exchange(request)
            if fault == "truncate":
                head, _, body = response.partition(b"\r\n\r\n")
                if body:
                    conn.sendall(head + b"\r\n\r\n" + body[: len(body) // 2])
                    return
            conn.sendall(response)
            if b"\r\nconnection: close" in response.split(b"\r\n\r\n", 1)[0].lower():
                return
    except OSError:
        return
    finally:
        conn.close()


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
print(listener.getsockname()[1], flush=True)


def accept_loop():
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


threading.Thread(target=accept_loop, daemon=True).start()
sys.stdin.read()

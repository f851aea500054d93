"""An HTTP proxy that injects object-storage failures on a fixed schedule, for the tests; 127.0.0.1 only.

    python3 fault_proxy.py UPSTREAM_PORT [--every N --faults drop,500,503,slowdown,stall,truncate,short,reset]
                                         [--always KIND] [--fail-parts-after K] [--hold-parts-after K]
                                         [--break-gets-from OFFSET] [--wrong-region REGION --region-status 301|400]

Forwards each request to 127.0.0.1:UPSTREAM_PORT unchanged (the Host header, which the
signature covers, is passed through). Faults are scheduled by counting requests, never by the
clock, so the same run meets the same number of faults however loaded the machine is:

--every N --faults LIST
  Requests are told apart by method, target and Range header; a retry is the same request
  again. Every Nth *new* request gets, on its first try only, the next fault of LIST that
  applies to it; its retries pass. So no operation meets more than one fault, whatever the
  interleaving of parallel requests, and any retry budget of 2 tries or more gets through.
  Faults that answer instead of the server apply to every request (the server never sees it,
  so a non-idempotent request such as CompleteMultipartUpload is never half done):
    drop      close the connection without answering
    500       500 InternalError
    503       503 ServiceUnavailable
    slowdown  503 SlowDown (S3's throttling answer)
    stall     answer nothing and keep the connection open until the client gives up (its read
              timeout must fire; the proxy has no timer)
  Faults that damage the server's answer apply to GETs only (reads have no side effect):
    truncate  the headers and half of the body, then close (Content-Length still says all)
    short     a consistent but short answer: Content-Length and body both cut in half (ranged
              GETs only: the client knows how many bytes it asked for)
    reset     the headers and half of the body, then a TCP reset
--always KIND          gives every request, every try, that answering fault (a server that
                       never recovers: the retries run out)
--fail-parts-after K   answers 500 to every part upload after the first K, on every try (a
                       backup that cannot finish)
--hold-parts-after K   holds every part upload after the first K: read, never forwarded, never
                       answered, the connection kept open until the client closes it (a backup
                       stopped mid-upload at a known point, for the kill tests)
--break-gets-from OFFSET  truncates every ranged GET that starts at or past OFFSET, on every
                       try (a read that cannot finish)
--wrong-region REGION  answers every request as AWS does when the bucket lives in REGION:
                       301 PermanentRedirect with x-amz-bucket-region, or with --region-status 400,
                       400 AuthorizationHeaderMalformed naming the region in its body (a HEAD, which
                       has no body, gets the region in x-amz-bucket-region only, as from AWS)

Prints its port on the first line. Logs one line per event on stderr, flushed at once:
"fault KIND on METHOD TARGET", "held part ...", "passed part ...", "region ...". Ends when
stdin closes.
"""
import argparse
import socket
import struct
import sys
import threading

parser = argparse.ArgumentParser()
parser.add_argument("upstream", type=int)
parser.add_argument("--every", type=int, default=0)
parser.add_argument("--faults", default="drop,500,503,slowdown,stall,truncate,short,reset")
parser.add_argument("--always", default="")
parser.add_argument("--fail-parts-after", type=int, default=-1)
parser.add_argument("--hold-parts-after", type=int, default=-1)
parser.add_argument("--break-gets-from", type=int, default=-1)
parser.add_argument("--wrong-region", default="")
parser.add_argument("--region-status", type=int, default=301)
args = parser.parse_args()

ANSWERING = {"drop", "500", "503", "slowdown", "stall"}
DAMAGING = {"truncate", "short", "reset"}
lock = threading.Lock()
pending_faults = [f for f in args.faults.split(",") if f]
seen = set()
new_requests = [0]
parts = [0]


def log(line):
    with lock:
        print(line, file=sys.stderr, flush=True)


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


def header(request, wanted):
    for line in request.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == wanted:
            return value.strip()
    return b""


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


def canned(status, code, message, extra_xml="", extra_headers="", head_only=False):
    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message>{extra_xml}</Error>'.encode()
    if head_only:
        body = b""
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {len(body)}\r\n{extra_headers}"
            "Connection: close\r\n\r\n").encode() + body


def wait_for_close(conn):
    """Keeps the connection open, answering nothing, until the client closes it."""
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


def scheduled_fault(method, identity, ranged):
    """The fault for this request by the schedule (see the module's notes), or None."""
    if args.every <= 0:
        return None
    with lock:
        if identity in seen:
            return None
        seen.add(identity)
        new_requests[0] += 1
        if new_requests[0] % args.every != 0:
            return None
        for index, fault in enumerate(pending_faults):
            if fault in ANSWERING or (fault in DAMAGING and method == b"GET" and (fault != "short" or ranged)):
                pending_faults.append(pending_faults.pop(index))
                return fault
    return None


def range_start(request):
    value = header(request, b"range")
    if value.startswith(b"bytes="):
        try:
            return int(value[6:].split(b"-", 1)[0])
        except ValueError:
            return -1
    return -1


def serve(conn):
    pending = b""
    try:
        while True:
            request, pending = read_request(conn, pending)
            if request is None:
                return
            line = request.split(b"\r\n", 1)[0]
            method, target = (line.split(b" ") + [b"", b""])[:2]
            what = f"{method.decode()} {target.decode()}"
            is_part = method == b"PUT" and b"partNumber=" in target
            if args.wrong_region:
                region = args.wrong_region
                if args.region_status == 301:
                    answer = canned("301 Moved Permanently", "PermanentRedirect",
                                    "The bucket you are attempting to access must be addressed using the specified endpoint.",
                                    f"<Endpoint>s3.{region}.amazonaws.com</Endpoint>",
                                    f"x-amz-bucket-region: {region}\r\n", head_only=method == b"HEAD")
                elif method == b"HEAD":
                    answer = canned("400 Bad Request", "", "", extra_headers=f"x-amz-bucket-region: {region}\r\n", head_only=True)
                else:
                    answer = canned("400 Bad Request", "AuthorizationHeaderMalformed",
                                    f"The authorization header is malformed; the region 'us-east-1' is wrong; expecting '{region}'",
                                    f"<Region>{region}</Region>")
                log(f"region {args.region_status} on {what}")
                conn.sendall(answer)
                return
            if is_part and (args.fail_parts_after >= 0 or args.hold_parts_after >= 0):
                with lock:
                    parts[0] += 1
                    count = parts[0]
                if args.hold_parts_after >= 0 and count > args.hold_parts_after:
                    log(f"held part {what}")
                    wait_for_close(conn)
                    return
                if args.fail_parts_after >= 0 and count > args.fail_parts_after:
                    log(f"fault 500 on {what}")
                    conn.sendall(canned("500 Internal Server Error", "InternalError", "injected"))
                    return
            broken = method == b"GET" and args.break_gets_from >= 0 and range_start(request) >= args.break_gets_from
            fault = args.always or ("truncate" if broken else None) or scheduled_fault(method, line + b" " + header(request, b"range"), range_start(request) >= 0)
            if fault:
                log(f"fault {fault} on {what}")
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
                wait_for_close(conn)
                return
            response = upstream_exchange(request)
            if is_part:
                log(f"passed part {what}")
            if fault in DAMAGING:
                head, _, body = response.partition(b"\r\n\r\n")
                half = body[: len(body) // 2]
                if fault == "short":
                    lines = [l for l in head.split(b"\r\n") if not l.lower().startswith(b"content-length:")]
                    head = b"\r\n".join(lines + [b"Content-Length: %d" % len(half)])
                conn.sendall(head + b"\r\n\r\n" + half)
                if fault == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
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

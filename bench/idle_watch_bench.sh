#!/usr/bin/env bash
# Memory of idle watches (issue 12: ≤ 16 KB each): the RSS of `minik8s server` idle, with
# WATCHES (default 1,000) idle watches open on one resource, and again after they closed.
# The watches are plain HTTP/1.1 `?watch=1` GETs from one Python process that reads
# nothing after the headers. Prints the numbers and appends one JSON line to the results:
#   bash bench/idle_watch_bench.sh [MINIK8S] [RESULTS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MINIK8S=${1:-$ROOT/build/cmd/minik8s/minik8s}
RESULTS=${2:-$ROOT/bench/results.jsonl}
WATCHES=${WATCHES:-1000}
ulimit -n $((WATCHES * 2 + 256))

WORK=$(mktemp -d /tmp/minik8s-watchbench.XXXXXX)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
load_before=$(cut -d' ' -f1 /proc/loadavg)
"$MINIK8S" server --port "$PORT" --data-dir "$WORK/data" --log-level warn >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
sleep 3  # the controllers' first lists and watches settle

python3 - "$PORT" "$SERVER_PID" "$WATCHES" "$RESULTS" "$load_before" "$(git -C "$ROOT" rev-parse --short=12 HEAD)" <<'PY'
import datetime, json, socket, sys, time
port, pid, count, results, load_before, commit = sys.argv[1:7]
pid, count = int(pid), int(count)

def rss_kb():
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))

def threads():
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("Threads:"))

idle = rss_kb()
socks = []
for i in range(count):
    s = socket.create_connection(("127.0.0.1", int(port)))
    s.sendall(f"GET /api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=600 HTTP/1.1\r\n"
              f"Host: 127.0.0.1\r\nAccept: application/json\r\n\r\n".encode())
    socks.append(s)
for s in socks:  # every watch has its headers: it is open on the server
    s.settimeout(10)
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    assert head.startswith(b"HTTP/1.1 200"), head[:60]
time.sleep(2)
open_kb, open_threads = rss_kb(), threads()
for s in socks:
    s.close()
time.sleep(3)
closed_kb = rss_kb()
import urllib.request
metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
still_open = next((int(float(l.split()[-1])) for l in metrics.splitlines()
                   if l.startswith("apiserver_longrunning_requests") or l.startswith("minik8s_apiserver_open_watches")), -1)
per_watch = (open_kb - idle) * 1024 / count
load_after = open("/proc/loadavg").read().split()[0]
rec = {"bench": "idle_watches", "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
       "commit": commit, "watches": count, "rss_idle_kb": idle, "rss_open_kb": open_kb,
       "rss_after_close_kb": closed_kb, "watches_open_after_close": still_open, "bytes_per_watch": round(per_watch),
       "threads_open": open_threads, "load_before": float(load_before),
       "load_after": float(load_after), "quiet": float(load_before) < 1.0}
print(f"idle_watch_bench: RSS idle {idle/1024:.1f} MB, {count} watches open {open_kb/1024:.1f} MB "
      f"({per_watch/1024:.1f} KB each, {open_threads} threads), after close {closed_kb/1024:.1f} MB "
      f"({still_open} watches still open)")
with open(results, "a") as f:
    f.write(json.dumps(rec) + "\n")
PY

#!/usr/bin/env bash
# Cluster DNS throughput and latency: `minik8s dns` against Debian's dnsmasq serving the same
# records, on the same machine in the same run (issue 10; goal ≥ 1.0× dnsmasq).
# Starts a private `minik8s server` (managed etcd, temp --data-dir, free loopback port),
# creates SERVICES ClusterIP Services (default 1,000), starts `minik8s dns` on 127.0.0.1 and
# dnsmasq on 127.0.0.1 with one host-record per Service (the same names and addresses), then
# for ROUNDS rounds (default 2), alternating which goes first: dnsperf at full speed for
# DURATION s (default 10) against each (queries/s; `minik8s dns --threads THREADS`, default 2), and a paced run (RATE q/s, default 2,000,
# for 5 s, dnsperf -v) for p50/p99 latency. RSS of both once the records are loaded (before
# any query) and at the end; SERVICES=10000 gives issue 10's RSS with 10,000 Services. Everything on loopback;
# stops what it started by PID. Prints the numbers and appends one JSON line to RESULTS.
#   bash bench/dns_bench.sh [MINIK8S] [RESULTS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MINIK8S=${1:-$ROOT/build/cmd/minik8s/minik8s}
RESULTS=${2:-$ROOT/bench/results.jsonl}
SERVICES=${SERVICES:-1000}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
RATE=${RATE:-2000}
THREADS=${THREADS:-2}  # minik8s dns --threads (dnsmasq has one)
for tool in dnsperf /usr/sbin/dnsmasq dig python3; do
  command -v "$tool" >/dev/null || { echo "dns_bench: $tool missing (scripts/setup.sh)"; exit 1; }
done

WORK=$(mktemp -d /tmp/minik8s-dnsbench.XXXXXX)
pids=()
cleanup() {
  local rc=$?
  if [ "$rc" != 0 ]; then
    for log in "$WORK"/*.log; do echo "== $log (exit $rc)"; tail -20 "$log"; done
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
load() { cut -d' ' -f1 /proc/loadavg; }
load_before=$(load)

API_PORT=$(free_port)
"$MINIK8S" server --data-dir "$WORK/server" --port "$API_PORT" --run-controller-manager=false \
  --log-level warn >"$WORK/server.log" 2>&1 &
pids+=($!)
API=http://127.0.0.1:$API_PORT
for _ in $(seq 1 300); do curl -sf "$API/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$API/readyz" >/dev/null || { echo "dns_bench: server not ready"; cat "$WORK/server.log"; exit 1; }

echo "dns_bench: creating $SERVICES Services"
python3 - "$API" "$SERVICES" "$WORK" <<'PY'
import json, sys, urllib.request, concurrent.futures
api, n, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def create(i):
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{i}"},
            "spec": {"selector": {"app": f"a{i}"}, "ports": [{"name": "http", "port": 80}]}}
    req = urllib.request.Request(f"{api}/api/v1/namespaces/default/services",
                                 data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return f"svc-{i}", json.load(r)["spec"]["clusterIP"]
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    made = list(pool.map(create, range(n)))
with open(f"{work}/dnsmasq.conf", "w") as conf, open(f"{work}/queries", "w") as q:
    for name, ip in made:
        fq = f"{name}.default.svc.cluster.local"
        conf.write(f"host-record={fq},{ip}\n")
        q.write(f"{fq} A\n")
PY

DNS_PORT=$(free_port)
"$MINIK8S" dns --server "$API" --listen "127.0.0.1:$DNS_PORT" --upstream 127.0.0.1:9 \
  --threads "$THREADS" --log-level warn >"$WORK/dns.log" 2>&1 &
dns_pid=$!
pids+=($dns_pid)
MASQ_PORT=$(free_port)
/usr/sbin/dnsmasq --keep-in-foreground --conf-file="$WORK/dnsmasq.conf" --no-resolv --no-hosts \
  --user=root --pid-file --local-ttl=5 --listen-address=127.0.0.1 --bind-interfaces \
  --port="$MASQ_PORT" >"$WORK/dnsmasq.log" 2>&1 &
masq_pid=$!
pids+=($masq_pid)
last="svc-$((SERVICES - 1)).default.svc.cluster.local"
# An address, not dig's error text (which it also prints on stdout).
answer_of() { dig @127.0.0.1 -p "$1" +short +time=1 +tries=1 "$last" A 2>/dev/null | grep -E '^[0-9.]+$' || true; }
for port in "$DNS_PORT" "$MASQ_PORT"; do
  for _ in $(seq 1 600); do
    [ -n "$(answer_of "$port")" ] && break
    sleep 0.1
  done
  [ -n "$(answer_of "$port")" ] || { echo "dns_bench: port $port does not answer $last"; exit 1; }
done
# Both must give the same answer.
a=$(answer_of "$DNS_PORT"); b=$(answer_of "$MASQ_PORT")
[ "$a" = "$b" ] || { echo "dns_bench: answers differ: $a vs $b"; exit 1; }

# RSS with every record loaded, before any query (the 10,000-Service figure of issue 10:
# SERVICES=10000); the end-of-run RSS below also holds what the load left behind.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
ours_rss_loaded=$(rss_kb "$dns_pid"); masq_rss_loaded=$(rss_kb "$masq_pid")
echo "  RSS with $SERVICES Services loaded: minik8s dns $((ours_rss_loaded / 1024)) MiB, dnsmasq $((masq_rss_loaded / 1024)) MiB"

errors=0
# full_speed PORT -> "qps lost sent" (dnsperf counts the queries still in flight when the
# time is up as lost: a handful per run is normal, more than 0.1% is an error)
full_speed() {
  local out
  out=$(dnsperf -s 127.0.0.1 -p "$1" -d "$WORK/queries" -l "$DURATION" -c 4 -q 200 2>&1)
  local qps lost sent
  qps=$(awk '/Queries per second:/ {print $4}' <<<"$out")
  lost=$(awk '/Queries lost:/ {print $3}' <<<"$out")
  sent=$(awk '/Queries sent:/ {print $3}' <<<"$out")
  echo "${qps:-0} ${lost:-0} ${sent:-0}"
}
# paced PORT -> "p50_ms p99_ms" from dnsperf -v (one line per reply, latency last)
paced() {
  dnsperf -s 127.0.0.1 -p "$1" -d "$WORK/queries" -l 5 -Q "$RATE" -c 2 -v 2>/dev/null |
    python3 -c '
import sys
lat = []
for line in sys.stdin:
    f = line.split()
    if len(f) >= 4 and f[0] == ">":
        try: lat.append(float(f[-1]) * 1000)
        except ValueError: pass
lat.sort()
pick = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else 0
print(f"{pick(0.5):.3f} {pick(0.99):.3f} {len(lat)}")'
}

ours_qps=(); masq_qps=(); ours_lat=(); masq_lat=()
for r in $(seq 1 "$ROUNDS"); do
  order=("ours" "masq"); [ $((r % 2)) = 0 ] && order=("masq" "ours")
  for who in "${order[@]}"; do
    port=$DNS_PORT; [ "$who" = masq ] && port=$MASQ_PORT
    read -r qps lost sent < <(full_speed "$port")
    read -r p50 p99 n < <(paced "$port")
    printf '  round %d %-5s %9.0f q/s (lost %s)  paced %s q/s: p50 %s ms p99 %s ms (%s replies)\n' \
      "$r" "$who" "$qps" "$lost" "$RATE" "$p50" "$p99" "$n"
    [ "$sent" -gt 0 ] && [ $((lost * 1000)) -le "$sent" ] || errors=$((errors + 1))
    if [ "$who" = ours ]; then ours_qps+=("$qps"); ours_lat+=("$p50/$p99"); else masq_qps+=("$qps"); masq_lat+=("$p50/$p99"); fi
  done
done
ours_rss=$(rss_kb "$dns_pid"); masq_rss=$(rss_kb "$masq_pid")
load_after=$(load)
commit=$(git -C "$ROOT" rev-parse --short=12 HEAD)
git -C "$ROOT" diff --quiet HEAD -- src/dns cmd/minik8s/dns_cmd.cc 2>/dev/null || commit="$commit+dirty"

python3 - "$RESULTS" "$commit" "$SERVICES" "$DURATION" "$RATE" "$load_before" "$load_after" "$errors" \
  "$ours_rss" "$masq_rss" "$THREADS" "${ours_qps[*]}" "${masq_qps[*]}" "${ours_lat[*]}" "${masq_lat[*]}" \
  "$ours_rss_loaded" "$masq_rss_loaded" <<'PY'
import datetime, json, statistics, sys
(results, commit, services, duration, rate, lb, la, errors, ours_rss, masq_rss, threads,
 oq, mq, ol, ml, ours_rss_loaded, masq_rss_loaded) = sys.argv[1:18]
oq = [float(x) for x in oq.split()]; mq = [float(x) for x in mq.split()]
lat = lambda s: [tuple(float(v) for v in x.split("/")) for x in s.split()]
ol, ml = lat(ol), lat(ml)
rec = {
    "bench": "dns",
    "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
    "commit": commit, "build_type": "RelWithDebInfo",
    "services": int(services), "ours_threads": int(threads), "duration_s": int(duration), "paced_qps": int(rate),
    "ours_qps": oq, "dnsmasq_qps": mq,
    "qps_ratio": round(statistics.median(oq) / statistics.median(mq), 3) if min(mq) > 0 else 0,
    "ours_p50_ms": statistics.median(x[0] for x in ol), "ours_p99_ms": max(x[1] for x in ol),
    "dnsmasq_p50_ms": statistics.median(x[0] for x in ml), "dnsmasq_p99_ms": max(x[1] for x in ml),
    "ours_rss_kb": int(ours_rss), "dnsmasq_rss_kb": int(masq_rss),
    "ours_rss_loaded_kb": int(ours_rss_loaded), "dnsmasq_rss_loaded_kb": int(masq_rss_loaded),
    "load_before": float(lb), "load_after": float(la), "quiet": float(lb) < 1.0,
    "errors": int(errors),
}
print(json.dumps(rec, sort_keys=True))
with open(results, "a") as f:
    f.write(json.dumps(rec, sort_keys=True) + "\n")
PY
[ "$errors" = 0 ] || { echo "dns_bench: $errors run(s) lost more than 0.1% of their queries"; exit 1; }

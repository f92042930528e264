#!/usr/bin/env bash
# The control plane against etcd crashes (see etcd_chaos.py): kill -9 of the managed etcd
# and of an external one under 8 writers (every acknowledged create kept, recovery <= 2 s
# after etcd is ready, /readyz not ok while it is down, a watch sees every create), kill -9
# of the server itself, and SIGTERM while etcd hangs or is down. Loopback only; bounded.
source "$(dirname "$0")/lib.sh"
trap finish EXIT
echo "etcd chaos e2e"
if timeout 600 /usr/bin/python3 "$(dirname "$0")/etcd_chaos.py" "$MINIK8S" "$WORK"; then
  pass "etcd chaos scenarios"
else
  fail "etcd chaos scenarios"
fi

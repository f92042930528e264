#!/usr/bin/env bash
# Builds the stock images (pause, busybox, nginx, test apps) as OCI archives into a
# directory. Idempotent and cached by content: an archive is rewritten only when its
# manifest digest changes. Optionally loads them into a containerd.
#   scripts/images.sh [OUT_DIR] [--load SOCKET]
# OUT_DIR defaults to /var/lib/minik8s/images; MINIK8S (default: minik8s on PATH, else
# build/cmd/minik8s/minik8s) picks the binary.
set -euo pipefail
cd "$(dirname "$0")/.."

out=/var/lib/minik8s/images
socket=""
while [ $# -gt 0 ]; do
  case "$1" in
    --load) socket="$2"; shift 2 ;;
    *) out="$1"; shift ;;
  esac
done

bin=${MINIK8S:-}
if [ -z "$bin" ]; then
  if command -v minik8s >/dev/null; then bin=minik8s; else bin=build/cmd/minik8s/minik8s; fi
fi

"$bin" image build-stock --out "$out"
if [ -n "$socket" ]; then
  "$bin" image load --address "$socket" "$out"/*.tar
fi

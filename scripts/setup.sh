#!/usr/bin/env bash
# Installs what is missing (Debian packages only), builds minik8s and installs the binary
# and the `mkctl` symlink into /usr/local/bin. Idempotent. Run as root.
#   BUILD_DIR (default: build)   BUILD_TYPE (default: RelWithDebInfo)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config clang
  libboost1.81-dev libboost-system1.81-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  etcd-server etcd-client python3 python3-kubernetes python3-yaml libyaml-dev curl jq iproute2 procps libclang-rt-14-dev
  containerd runc containernetworking-plugins busybox-static nginx-light libssl-dev util-linux
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_dir=${BUILD_DIR:-build}
build_type=${BUILD_TYPE:-RelWithDebInfo}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" ${CMAKE_EXTRA_ARGS:-} >/dev/null
ninja -C "$build_dir" -j2

install -m 0755 "$build_dir/cmd/minik8s/minik8s" /usr/local/bin/minik8s
ln -sf /usr/local/bin/minik8s /usr/local/bin/mkctl
echo "setup: installed /usr/local/bin/minik8s and /usr/local/bin/mkctl"

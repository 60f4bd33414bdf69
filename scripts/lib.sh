# Shared set-up for scripts/demo and scripts/test: Debian packages, build,
# guest image, libvirt daemons. Sourced, not run.
# shellcheck shell=bash

BERTH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BERTH_BUILD=${BERTH_BUILD:-$BERTH_ROOT/build}
export BERTH_ROOT BERTH_BUILD

# Every Debian package berth builds with, runs with or tests with.
BERTH_PACKAGES=(
  cmake g++ make pkg-config
  libvirt-daemon-system libvirt-daemon libvirt-clients libvirt-dev
  qemu-system-x86 qemu-utils
  libcurl4-openssl-dev nlohmann-json3-dev libcli11-dev libyaml-cpp-dev libboost-dev libssl-dev
  libgtest-dev libgmock-dev pybind11-dev python3-dev python3-pytest
  busybox-static dropbear-bin openssh-client crun etcd-server docker-registry
  tshark e2fsprogs cpio kmod iproute2 zstd xz-utils openssl binutils tar curl lz4 socat
)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_packages() {
  local missing=()
  local p
  for p in "${BERTH_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "berth needs these Debian packages; install them with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 2
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || apt-get update
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
    apt-get install -y --no-install-recommends "${missing[@]}"
}

build_berth() {
  log "building berth in $BERTH_BUILD"
  cmake -S "$BERTH_ROOT" -B "$BERTH_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BERTH_BUILD" -j"$(nproc)"
  export PATH="$BERTH_BUILD/cli:$BERTH_BUILD/fabric:$BERTH_BUILD/runtime:$PATH"
}

# libvirt needs virtlogd and libvirtd; without systemd nobody starts them.
ensure_libvirtd() {
  if [ "$(id -u)" -ne 0 ]; then
    return 0  # qemu:///session starts its own daemon on demand
  fi
  if ! pgrep -x virtlogd >/dev/null; then
    log "starting virtlogd"
    virtlogd -d
  fi
  if ! pgrep -x libvirtd >/dev/null; then
    log "starting libvirtd"
    libvirtd -d
  fi
  local i
  for i in $(seq 1 50); do
    virsh -c qemu:///system version >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "libvirtd did not answer on qemu:///system after 10 s" >&2
  exit 2
}

build_guest_image() {
  log "building the guest image (cached under \$BERTH_HOME/cache)"
  "$BERTH_ROOT/images/build-guest-image" >/dev/null
}

setup_all() {
  ensure_packages
  build_berth
  ensure_libvirtd
  build_guest_image
}

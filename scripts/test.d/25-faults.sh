#!/usr/bin/env bash
# Faults of the volume under the plugin folder and the job dir, made for
# real: small tmpfs mounts, full or read-only, in a private mount namespace
# (`unshare -m`). Needs root (CI runs as root); elsewhere it says why and
# skips. The tests are the `#[ignore]`d `faults::` modules of
# optimus-plugin's and optimus-init's integration tests; SIGTERM/SIGINT
# need no root and run in the plain `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/../.."

skip() {
  echo "SKIPPED: volume fault tests: $*"
  exit 0
}

[ "$(id -u)" -eq 0 ] || skip "not root (mounting a tmpfs needs root; CI runs as root)"
if ! command -v unshare >/dev/null 2>&1 || ! command -v mount >/dev/null 2>&1; then
  echo "installing util-linux and mount"
  apt-get update -qq
  apt-get install -y -qq util-linux mount
fi
probe='d=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs "$d" && mount -o remount,ro "$d" && umount "$d" && rmdir "$d"'
if ! unshare -m --propagation private sh -c "$probe" >/dev/null 2>&1; then
  skip "unshare -m or mounting a tmpfs is not allowed here (a container without CAP_SYS_ADMIN?)"
fi

# One build, outside the namespace: the binaries and the test binaries
# that drive them (the same profile and features as the run below).
echo "building the binaries and their test binaries"
cargo test --locked -p optimus-plugin -p optimus-init --test it --no-run

echo "full and read-only volumes under install, sync and optimus-init"
unshare -m --propagation private env OPTIMUS_FAULTS_MOUNT_NS=private \
  cargo test --locked -p optimus-plugin -p optimus-init --test it -- --ignored faults::

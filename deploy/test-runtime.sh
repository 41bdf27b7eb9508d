#!/usr/bin/env bash
# What the container images depend on, tested without a container engine:
#
# 1. build optimus-init and optimus-plugin as deploy/Dockerfile does (static,
#    --release --locked, path remapping);
# 2. ldd: no shared library needed (the runtime image, distroless/static,
#    has no libc);
# 3. a root folder holding only what the image holds that the binaries
#    could use (the binaries, CA bundle, /etc/passwd, /etc/group, /tmp) plus
#    what Kubernetes mounts (/etc/hosts, /proc, the emptyDir volumes); the
#    binaries run there under chroot as user 65532, root folder not
#    writable: --help, --version, an optimus-plugin install from a local
#    provider, and an optimus-init job run against a run-input server on
#    127.0.0.1 reached by a cluster-style host name;
# 4. the launcher: `optimus-init --install-launcher` copies itself to the
#    volume, and `/data/bin/optimus-init exec -- CMD` runs CMD in the image
#    and in another distribution (this machine), with the run's env loaded
#    and the exit code passed through.
#
# Needs root (chroot, unshare, mount of /proc in a private mount namespace).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

fail() { echo "error: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root for chroot/unshare (runs as root in CI)"

triple=$(rustc -vV | sed -n 's/^host: //p')
target_dir=target/image-test
echo "building static release binaries for $triple (as deploy/Dockerfile)"
RUSTFLAGS="-C target-feature=+crt-static --remap-path-prefix=$root=." \
  cargo build --release --locked --quiet --target "$triple" --target-dir "$target_dir" \
  -p optimus-plugin -p optimus-init
bin=$target_dir/$triple/release

for b in optimus-init optimus-plugin; do
  deps=$(ldd "$bin/$b" 2>&1 || true)
  case "$deps" in
    *"statically linked"* | *"not a dynamic executable"*) echo "$b: static ($(stat -c %s "$bin/$b") bytes)" ;;
    *) fail "$b needs shared libraries that distroless/static does not have:"$'\n'"$deps" ;;
  esac
done

work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
chmod 0755 "$work"

# --- the image's root folder (owned by root, not writable by 65532) ---
rootfs=$work/rootfs
mkdir -p "$rootfs"/{usr/local/bin,etc/ssl/certs,tmp,proc,home/nonroot}
install -m 0755 "$bin/optimus-init" "$bin/optimus-plugin" "$rootfs/usr/local/bin/"
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
chmod 1777 "$rootfs/tmp"
chown 65532:65532 "$rootfs/home/nonroot"
# What the kubelet mounts: /etc/hosts (here it resolves the server's cluster
# name to loopback), the emptyDir volumes (owned by the pod's fsGroup).
printf '127.0.0.1 localhost optimus-server.optimus.svc.cluster.local\n' >"$rootfs/etc/hosts"
mkdir -p "$rootfs"/{data,data2,var/lib/optimus}
chown 65532:65532 "$rootfs"/{data,data2,var/lib/optimus}

# run_in_image [VAR=value ...] CMD [ARGS...]: CMD runs chrooted in the image
# root as 65532:65532 with only the given environment.
run_in_image() {
  local vars=()
  while [ $# -gt 0 ] && [[ $1 == *=* ]]; do vars+=("$1"); shift; done
  env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "${vars[@]}" \
    unshare --mount --fork -- /bin/sh -c \
    'mount -t proc proc "$0/proc" && exec chroot --userspec=65532:65532 "$0" "$@"' \
    "$rootfs" "$@"
}

expect_exit() { # expect_exit CODE CMD...
  local want=$1 got=0
  shift
  "$@" || got=$?
  [ "$got" -eq "$want" ] || fail "exit $got, expected $want: $*"
}

echo "--help and --version as 65532 in the image root"
for b in optimus-init optimus-plugin; do
  run_in_image "/usr/local/bin/$b" --help >"$work/help.txt"
  grep -q "Usage: $b" "$work/help.txt" || fail "$b --help: no usage line"
  version=$(run_in_image "/usr/local/bin/$b" --version)
  [[ $version == "$b "[0-9]* ]] || fail "$b --version printed: $version"
  echo "  $version"
done

echo "optimus-plugin install from a local provider, as 65532, plugin dir on the volume"
mkdir -p "$rootfs/config/artifacts/hello"
cat >"$rootfs/config/artifacts/hello/optimus-plugin-hello.yaml" <<'YAML'
name: hello
description: prints a greeting
plugintype: task
pluginversion: 0.1.0
image: registry.example.org/optimus/hello:0.1.0
entrypoint:
  script: echo hello
YAML
tar -czf "$rootfs/config/artifacts/hello.tar.gz" -C "$rootfs/config/artifacts/hello" optimus-plugin-hello.yaml
cat >"$rootfs/config/optimus.yaml" <<'YAML'
plugins:
  plugin_dir: /var/lib/optimus/.plugins
  providers:
    - type: local
      name: bundled
      path: artifacts
  plugins:
    - provider: bundled
      path: hello.tar.gz
YAML
run_in_image OPTIMUS_LOG_FORMAT=json /usr/local/bin/optimus-plugin install -c /config/optimus.yaml
[ -f "$rootfs/var/lib/optimus/.plugins/optimus-plugin-hello.yaml" ] || fail "install did not publish optimus-plugin-hello.yaml"
run_in_image /usr/local/bin/optimus-plugin list --plugin-dir /var/lib/optimus/.plugins --output json >"$work/list.json"
python3 -c 'import json, sys; names = [p["name"] for p in json.load(open(sys.argv[1]))["plugins"]]; assert names == ["hello"], names' "$work/list.json" \
  || fail "list does not show exactly the hello plugin: $(cat "$work/list.json")"
echo "  installed and listed: hello"

echo "optimus-init job run against a run-input server on 127.0.0.1"
python3 deploy/run_input_server.py "$work/port" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || fail "run-input server did not start"
port=$(cat "$work/port")
job_env=(
  OPTIMUS_HOST="optimus-server.optimus.svc.cluster.local:$port"
  PROJECT=sample-project JOB_NAME=sample-job SCHEDULED_AT=2026-11-23T00:00:00Z
  INSTANCE_TYPE=task INSTANCE_NAME=bq2bq OPTIMUS_INIT_DEADLINE=20s
)
run_in_image "${job_env[@]}" JOB_DIR=/data /usr/local/bin/optimus-init \
  --termination-log /tmp/termination-log
in=$rootfs/data/in
[ "$(cat "$in/query.sql")" = "select 1;" ] || fail "query.sql differs"
[ "$(cat "$in/sub/dir/config.json")" = '{"k": "v"}' ] || fail "sub/dir/config.json differs"
mode=$(stat -c %a "$in/.secret")
[ "${mode: -1}" = 0 ] || fail ".secret is world-readable (mode $mode)"
[ "$(stat -c %u "$in/.env")" = 65532 ] || fail ".env not owned by the init container's user"
# The executor's view: sourced by a POSIX shell, values come back exactly.
got=$(setpriv --reuid=65532 --regid=65532 --clear-groups env -i /bin/sh -c \
  'set -a; . "$1/.env"; . "$1/.secret"; printf "%s|%s|%s|%s" "$GREETING" "$MULTILINE" "$UNICODE" "$API_TOKEN"' sh "$in")
want=$(python3 -c 'import sys; sys.path.insert(0, "deploy"); from run_input_server import REPLY as R; e=R["envs"]; print(e["GREETING"], e["MULTILINE"], e["UNICODE"], R["secrets"]["API_TOKEN"], sep="|", end="")')
[ "$got" = "$want" ] || fail "sourced values differ:"$'\n'"got:  $got"$'\n'"want: $want"
echo "  /data/in written; .env/.secret source back exactly; .secret mode $mode"

echo "a server that refuses: exit 1, reason in the termination log, no secret"
expect_exit 1 run_in_image "${job_env[@]}" JOB_NAME=no-such-job JOB_DIR=/data2 \
  /usr/local/bin/optimus-init --termination-log /tmp/termination-log 2>/dev/null
grep -q "no such job" "$rootfs/tmp/termination-log" || fail "termination log lacks the server's message"
! grep -rq sentinel-secret "$rootfs/tmp" || fail "a secret reached the termination log"

echo "launcher: --install-launcher, then exec in the image and in another distribution"
run_in_image "${job_env[@]}" JOB_DIR=/data2 /usr/local/bin/optimus-init --install-launcher
launcher=$rootfs/data2/bin/optimus-init
[ -x "$launcher" ] || fail "--install-launcher did not write /data2/bin/optimus-init"
out=$(run_in_image JOB_DIR=/data2 /data2/bin/optimus-init exec -- /usr/local/bin/optimus-plugin --version)
[[ $out == "optimus-plugin "* ]] || fail "exec in the image printed: $out"
expect_exit 2 run_in_image JOB_DIR=/data2 /data2/bin/optimus-init exec -- \
  /usr/local/bin/optimus-plugin completions tcsh 2>/dev/null
got=$(setpriv --reuid=65532 --regid=65532 --clear-groups env -i PATH=/usr/bin:/bin JOB_DIR="$rootfs/data2" \
  "$launcher" exec -- /bin/sh -c 'printf "%s|%s|%s|%s" "$GREETING" "$MULTILINE" "$UNICODE" "$API_TOKEN"')
[ "$got" = "$want" ] || fail "exec on this machine gave other values:"$'\n'"got:  $got"$'\n'"want: $want"
echo "  launcher static and working in both; exit code passed through"

echo "runtime checks passed"

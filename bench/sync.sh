#!/usr/bin/env bash
# Benchmark of `optimus-plugin sync` with 300 YAML plugins, cold and
# unchanged, against `optimus-plugin serve` on 127.0.0.1, compared in the
# same run with curl (+ unzip) fetching the same zip from the same server.
#
# Usage: bench/sync.sh [path/to/optimus-plugin] [runs] [baseline-binary]
# (needs hyperfine, curl, unzip, python3). A baseline binary (an older build)
# adds a third row to the cold table, measured in the same session.
# Writes target/bench/sync.md (its section of docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/optimus-plugin}
runs=${2:-20}
[ -x "$bin" ] || { echo "build first: cargo build --release -p optimus-plugin" >&2; exit 2; }
bin=$(realpath "$bin")
baseline=${3:-}
if [ -n "$baseline" ]; then
  [ -x "$baseline" ] || { echo "no such baseline binary: $baseline" >&2; exit 2; }
  baseline=$(realpath "$baseline")
fi
out=target/bench/sync.md
mkdir -p target/bench
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

served=$work/served
mkdir -p "$served"
for i in $(seq -w 1 300); do
  name=plugin-$i
  cat > "$served/optimus-plugin-$name.yaml" <<YAML
name: $name
description: Transforms data with $name, benchmark plugin number $i
plugintype: task
pluginversion: 1.$i.0
image: docker.io/example/$name:1.$i.0
entrypoint:
  script: python3 /opt/$name/main.py --config /data/in/config.json
questions:
  - name: PROJECT
    prompt: Project ID
    help: The GCP project that holds the destination table
    regexp: ^[a-z][a-z0-9-]{4,28}[a-z0-9]$
    required: true
  - name: DATASET
    prompt: Dataset name
    minlength: 3
  - name: TABLE
    prompt: Table name
    minlength: 3
defaultconfig:
  - name: LOAD_METHOD
    value: APPEND
  - name: SQL_TYPE
    value: STANDARD
defaultassets:
  - name: query.sql
    value: |
      select * from source_table_$i where event_date = '{{ .EXECUTION_TIME }}'
YAML
done

"$bin" serve --addr 127.0.0.1:0 --plugin-dir "$served" > "$work/serve.out" 2>/dev/null &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/serve.out" ] && break; sleep 0.1; done
url=$(awk '{print $NF}' "$work/serve.out")
host=${url#http://}; host=${host%/plugins}
curl -sf -o "$work/plugins.zip" -D "$work/headers" "$url"
etag=$(awk 'tolower($1)=="etag:" {print $2}' "$work/headers" | tr -d '\r')
zip_bytes=$(stat -c %s "$work/plugins.zip")
yaml_bytes=$(cat "$served"/*.yaml | wc -c)

# An upstream-style server: the same zip, plain 200, no ETag.
mkdir -p "$work/upstream"
cp "$work/plugins.zip" "$work/upstream/plugins"
(cd "$work/upstream" && exec python3 -m http.server 0 --bind 127.0.0.1 > "$work/up.out" 2>&1) &
pids+=($!)
for _ in $(seq 50); do grep -q "port" "$work/up.out" 2>/dev/null && break; sleep 0.1; done
up_port=$(grep -o 'port [0-9]*' "$work/up.out" | awk '{print $2}')

"$bin" sync --host "$host" --plugin-dir "$work/warm" > /dev/null
"$bin" sync --host "127.0.0.1:$up_port" --plugin-dir "$work/warm-up" > /dev/null
cmp <(cd "$served" && cat *.yaml) <(cd "$work/warm" && cat *.yaml)

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(loadavg)
hf=(hyperfine --style basic --warmup 2 --runs "$runs" --export-markdown)
cold_baseline=()
if [ -n "$baseline" ]; then
  cold_baseline=(-n "baseline: $(basename "$baseline") sync (cold)" "'$baseline' sync --host '$host' --plugin-dir '$work/c'")
fi
"${hf[@]}" "$work/cold.md" \
  --prepare "rm -rf '$work/c' '$work/p'; mkdir -p '$work/p'" \
  -n "optimus-plugin sync (cold)" "'$bin' sync --host '$host' --plugin-dir '$work/c'" \
  -n "curl + unzip (cold)" "curl -sf -o '$work/p.zip' '$url' && unzip -q -o '$work/p.zip' -d '$work/p'" \
  "${cold_baseline[@]}"
"${hf[@]}" "$work/unchanged.md" \
  -n "optimus-plugin sync (unchanged, 304)" "'$bin' sync --host '$host' --plugin-dir '$work/warm'" \
  -n "curl If-None-Match (304) to /dev/null" "curl -sf -o /dev/null -H 'If-None-Match: $etag' '$url'" \
  -n "curl to /dev/null (full zip)" "curl -sf -o /dev/null '$url'"
"${hf[@]}" "$work/upstream.md" \
  -n "optimus-plugin sync (unchanged, upstream server, no ETag)" "'$bin' sync --host '127.0.0.1:$up_port' --plugin-dir '$work/warm-up'" \
  -n "curl + unzip (upstream server)" "rm -rf '$work/q' && mkdir '$work/q' && curl -sf -o '$work/q.zip' 'http://127.0.0.1:$up_port/plugins' && unzip -q -o '$work/q.zip' -d '$work/q'"

load_after=$(loadavg)

ratio() { # file -> "ours / peer" from the first two rows' means (ms)
  awk -F'|' 'NR>2 {gsub(/ /,"",$3); split($3,a,"±"); m[NR]=a[1]} END {printf "%.2f", m[3]/m[4]}' "$1"
}
{
  echo "## Sync: 300 YAML plugins"
  echo
  echo "\`bench/sync.sh\` ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -sr), binary: \`${1:-target/release/optimus-plugin}\`,"
  echo "load average $load_before before and $load_after after)."
  echo "300 plugins, $yaml_bytes bytes of YAML, a $zip_bytes-byte zip, served by"
  echo "\`optimus-plugin serve\` on 127.0.0.1. Peers run in the same hyperfine"
  echo "session against the same server. Ours also validates all 300 plugins"
  echo "with plugin-spec, writes each file, puts them on disk with one \`syncfs\`,"
  echo "fsyncs the folder and swaps it in atomically; curl + unzip does none of"
  echo "that (no validation, nothing flushed to disk)."
  echo
  echo "### Cold (empty plugin folder)"
  echo
  cat "$work/cold.md"
  echo
  echo "Ratio ours / curl+unzip: **$(ratio "$work/cold.md")x**."
  if [ -n "$baseline" ]; then
    echo
    echo "Baseline \`$baseline\` / curl+unzip in the same session:"
    echo "**$(awk -F'|' 'NR>2 {gsub(/ /,"",$3); split($3,a,"±"); m[NR]=a[1]} END {printf "%.2f", m[5]/m[4]}' "$work/cold.md")x**."
  fi
  echo
  echo "### Unchanged (second sync: If-None-Match, 304, no body)"
  echo
  cat "$work/unchanged.md"
  echo
  echo "Ratio ours / curl 304: **$(ratio "$work/unchanged.md")x**."
  echo
  echo "### Unchanged against an upstream-style server (plain 200, no ETag)"
  echo
  echo "Served by \`python3 -m http.server\` (the same zip, no ETag): every sync"
  echo "downloads and validates the set, finds it unchanged and writes nothing."
  echo
  cat "$work/upstream.md"
  echo
  echo "Ratio ours / curl+unzip: **$(ratio "$work/upstream.md")x**."
} > "$out"
echo "wrote $out"

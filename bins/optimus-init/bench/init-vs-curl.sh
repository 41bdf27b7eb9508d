#!/usr/bin/env bash
# optimus-init against a run-input reply of 500 files (5 MiB) compared with
# curl fetching the same reply to /dev/null; peak RSS; stripped binary size.
# Usage: bins/optimus-init/bench/init-vs-curl.sh [path/to/release/optimus-init]
set -euo pipefail
BIN=${1:-target/release/optimus-init}
WORK=$(mktemp -d)
trap 'kill "$SRV" 2>/dev/null || true; rm -rf "$WORK"' EXIT
python3 - "$WORK/reply.json" <<'PY'
import json, sys
files = {f"sql/part{i:03}.sql": ("select %d -- " % i).ljust(10 * 1024 - 1, "x") + "\n" for i in range(500)}
json.dump({"envs": {"A": "1"}, "secrets": {"S": "x"}, "files": files}, open(sys.argv[1], "w"))
PY
cat > "$WORK/srv.py" <<'PY'
import http.server, sys
body = open(sys.argv[1], "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), H).serve_forever()
PY
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 "$WORK/srv.py" "$WORK/reply.json" "$PORT" & SRV=$!
sleep 1
export OPTIMUS_PROTOCOL=rest OPTIMUS_HOST=127.0.0.1:$PORT PROJECT=p JOB_NAME=j SCHEDULED_AT=2026-11-23T00:00:00Z \
       INSTANCE_TYPE=task INSTANCE_NAME=bq2bq JOB_DIR=$WORK/data
URL="http://127.0.0.1:$PORT/api/v1beta1/project/p/job/j/run_input"
BODY='{"scheduled_at":"2026-11-23T00:00:00Z","instance_name":"bq2bq","instance_type":"TYPE_TASK"}'
echo "reply: $(stat -c %s "$WORK/reply.json") bytes, 500 files"
hyperfine -N --warmup 3 --runs 30 --export-markdown "$WORK/h.md" \
  --prepare "rm -rf $WORK/data" -n optimus-init "$BIN" \
  -n curl "curl -s -X POST -H 'Content-Type: application/json' -d '$BODY' -o /dev/null $URL" >/dev/null
cat "$WORK/h.md"
rm -rf "$WORK/data"
/usr/bin/time -v "$BIN" 2>&1 | grep -E "Maximum resident" || true
cp "$BIN" "$WORK/stripped" && strip "$WORK/stripped"
echo "stripped binary: $(stat -c %s "$WORK/stripped") bytes"

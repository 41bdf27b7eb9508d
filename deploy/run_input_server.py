"""A stand-in Optimus server for deploy/test-runtime.sh: answers the
run-input API on 127.0.0.1 exactly as the contract says, for one job.

    python3 run_input_server.py PORT_FILE

Listens on an ephemeral loopback port, writes it to PORT_FILE, checks the
request (path, method, body fields, enum strings) and answers with envs,
files and secrets whose values need careful quoting. Stops by itself after
120 seconds.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH = "/api/v1beta1/project/sample-project/job/sample-job/run_input"

REPLY = {
    "envs": {
        "GREETING": "it's a \"quoted\" $HOME `date` \\ value",
        "MULTILINE": "line one\nline two\n",
        "UNICODE": "Grüße, 世界",
    },
    "secrets": {"API_TOKEN": "sentinel-secret-7f3a"},
    "files": {
        "query.sql": "select 1;\n",
        "sub/dir/config.json": "{\"k\": \"v\"}\n",
    },
}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != PATH:
            return self.reply(404, {"code": 5, "message": f"no such job: {self.path}"})
        length = int(self.headers.get("Content-Length", "0"))
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError:
            return self.reply(400, {"code": 3, "message": "body is not JSON"})
        problems = []
        if body.get("scheduled_at") != "2026-11-23T00:00:00Z":
            problems.append(f"scheduled_at: {body.get('scheduled_at')!r}")
        if body.get("instance_name") != "bq2bq":
            problems.append(f"instance_name: {body.get('instance_name')!r}")
        if body.get("instance_type") != "TYPE_TASK":
            problems.append(f"instance_type: {body.get('instance_type')!r}")
        if problems:
            return self.reply(400, {"code": 3, "message": "; ".join(problems)})
        self.reply(200, REPLY)

    def reply(self, status, doc):
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("run-input server: " + (fmt % args) + "\n")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    threading.Timer(120, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()

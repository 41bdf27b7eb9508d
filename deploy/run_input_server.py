"""A stand-in Optimus server for the deployment tests: answers the run-input
call on 127.0.0.1 for one job, over REST and (when grpcio is installed) over
gRPC, exactly as the contract in /work/shared/ARCHITECTURE.md describes it.

    python3 run_input_server.py PORT_FILE [--grpc-port-file FILE]
        [--record FILE] [--artifacts DIR --bearer-file FILE] [--lifetime S]

- REST: `POST /api/v1beta1/project/{p}/job/{j}/run_input` on an ephemeral
  loopback port, written to PORT_FILE (deploy/test-runtime.sh uses only
  this, with the system python3).
- gRPC: `gotocompany.optimus.core.v1beta1.JobRunService/JobRunInput` on a
  second ephemeral port, written to --grpc-port-file. Needs `grpcio` and
  `grpcio-tools` (PyPI); the messages come from
  proto/gotocompany/optimus/core/v1beta1/job_run_input.proto, compiled at
  start.
- --record: every run-input request, one JSON object a line (protocol,
  project_name, job_name, scheduled_at as RFC 3339 UTC, instance_name,
  instance_type, jobrun_id, dag_run_id), so a test can check what the
  client sent.
- --artifacts: also `GET /optimus/<file>` from DIR on the REST port, the
  plugin repository of an http provider, answered only to
  `Authorization: Bearer <the token in --bearer-file>`.

The request is checked (scheduled time, instance name and type); a wrong one
gets INVALID_ARGUMENT / 400 naming the fields, an unknown job NOT_FOUND /
404. The reply holds values that need careful quoting. Stops by itself after
--lifetime seconds (120).
"""

import argparse
import datetime
import json
import os
import pathlib
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROJECT = "sample-project"
JOB = "sample-job"
PATH = f"/api/v1beta1/project/{PROJECT}/job/{JOB}/run_input"
SCHEDULED_AT = datetime.datetime(2026, 11, 23, tzinfo=datetime.timezone.utc)
INSTANCE_NAME = "bq2bq"
INSTANCE_TYPE = "TYPE_TASK"

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

_record_lock = threading.Lock()


def rfc3339(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def check(request, record_file):
    """Records the request; returns (status, message): status "ok",
    "not_found" or "invalid"."""
    if record_file:
        with _record_lock, open(record_file, "a", encoding="utf-8") as f:
            f.write(json.dumps(request, ensure_ascii=False) + "\n")
    if (request["project_name"], request["job_name"]) != (PROJECT, JOB):
        return "not_found", f"no such job: {request['project_name']}/{request['job_name']}"
    problems = []
    if request["scheduled_at"] != rfc3339(SCHEDULED_AT):
        problems.append(f"scheduled_at: {request['scheduled_at']!r}")
    if request["instance_name"] != INSTANCE_NAME:
        problems.append(f"instance_name: {request['instance_name']!r}")
    if request["instance_type"] != INSTANCE_TYPE:
        problems.append(f"instance_type: {request['instance_type']!r}")
    if problems:
        return "invalid", "; ".join(problems)
    return "ok", ""


def parse_time(text):
    try:
        return rfc3339(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (AttributeError, ValueError):
        return repr(text)


def rest_handler(args):
    token = pathlib.Path(args.bearer_file).read_text().strip() if args.bearer_file else None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            prefix, suffix = "/api/v1beta1/project/", "/run_input"
            parts = self.path[len(prefix):-len(suffix)].split("/job/") if self.path.startswith(prefix) and self.path.endswith(suffix) else []
            if len(parts) != 2:
                return self.reply(404, {"code": 5, "message": f"no such route: {self.path}"})
            length = int(self.headers.get("Content-Length", "0"))
            try:
                body = json.loads(self.rfile.read(length))
            except ValueError:
                return self.reply(400, {"code": 3, "message": "body is not JSON"})
            request = {
                "protocol": "rest",
                "project_name": parts[0],
                "job_name": parts[1],
                "scheduled_at": parse_time(body.get("scheduled_at")),
                "instance_name": body.get("instance_name"),
                "instance_type": body.get("instance_type"),
                "jobrun_id": body.get("jobrun_id", ""),
                "dag_run_id": body.get("dag_run_id", ""),
            }
            status, message = check(request, args.record)
            if status == "not_found":
                return self.reply(404, {"code": 5, "message": message})
            if status == "invalid":
                return self.reply(400, {"code": 3, "message": message})
            self.reply(200, REPLY)

        def do_GET(self):
            if not args.artifacts or not self.path.startswith("/optimus/"):
                return self.reply(404, {"message": "not found"})
            if self.headers.get("Authorization") != f"Bearer {token}":
                return self.reply(401, {"message": "missing or wrong bearer token"})
            name = self.path[len("/optimus/"):]
            path = pathlib.Path(args.artifacts, name)
            if "/" in name or name.startswith(".") or not path.is_file():
                return self.reply(404, {"message": f"no artifact {name}"})
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def reply(self, status, doc):
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):
            sys.stderr.write("run-input server (rest): " + (fmt % args) + "\n")

    return Handler


def start_grpc(args):
    """Starts the gRPC service on an ephemeral loopback port; returns
    (server, port)."""
    import grpc  # noqa: PLC0415 (optional: only for --grpc-port-file)
    from concurrent import futures  # noqa: PLC0415

    proto_root = pathlib.Path(__file__).resolve().parent / "proto"
    sys.path.insert(0, str(proto_root))
    protos, services = grpc.protos_and_services("gotocompany/optimus/core/v1beta1/job_run_input.proto")
    names = protos.InstanceType

    class JobRunService(services.JobRunServiceServicer):
        def JobRunInput(self, request, context):  # noqa: N802 (the rpc's name)
            when = request.scheduled_at.ToDatetime(tzinfo=datetime.timezone.utc) if request.HasField("scheduled_at") else None
            record = {
                "protocol": "grpc",
                "project_name": request.project_name,
                "job_name": request.job_name,
                "scheduled_at": rfc3339(when) if when else None,
                "instance_name": request.instance_name,
                "instance_type": names.Name(request.instance_type),
                "jobrun_id": request.jobrun_id,
                "dag_run_id": request.dag_run_id,
            }
            sys.stderr.write(f"run-input server (grpc): JobRunInput {request.project_name}/{request.job_name}\n")
            status, message = check(record, args.record)
            if status == "not_found":
                context.abort(grpc.StatusCode.NOT_FOUND, message)
            if status == "invalid":
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, message)
            return protos.JobRunInputResponse(**REPLY)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    services.add_JobRunServiceServicer_to_server(JobRunService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def write_port(path, port):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port_file", help="where to write the REST port")
    parser.add_argument("--grpc-port-file", help="also serve gRPC; write its port here")
    parser.add_argument("--record", help="append every run-input request here (JSON lines)")
    parser.add_argument("--artifacts", help="serve GET /optimus/<file> from this folder")
    parser.add_argument("--bearer-file", help="the bearer token --artifacts requires")
    parser.add_argument("--lifetime", type=float, default=120)
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), rest_handler(args))
    grpc_server = None
    if args.grpc_port_file:
        grpc_server, grpc_port = start_grpc(args)
        write_port(args.grpc_port_file, grpc_port)
    write_port(args.port_file, server.server_address[1])
    threading.Timer(args.lifetime, server.shutdown).start()
    server.serve_forever()
    if grpc_server:
        grpc_server.stop(0)


if __name__ == "__main__":
    main()

"""Adapts docs/kubernetes's manifests for `podman kube play` in
scripts/test.d/60-deploy.sh, changing only what a machine without a cluster
or a registry forces; every other field (security contexts, volumes,
mounts, env, commands) is played as written.

    python kube_play_adapt.py job MANIFEST OUT --init-image IMG --executor-image IMG
        --host HOST:PORT [--protocol rest] --print KEY[,KEY...]
    python kube_play_adapt.py server DOCS_DIR OUT --plugin-image IMG
        --artifacts-url URL --token-file FILE --secrets-dir DIR

job: the job pod (30-job-pod.yaml) with local images; OPTIMUS_HOST set to
the stand-in server on loopback (podman 4.3 ignores hostAliases for init
containers, so the cluster name cannot be mapped); with --protocol rest,
OPTIMUS_PROTOCOL=rest is added. The executor's script, after it has loaded
/data/in/.env and .secret, also prints `value KEY BASE64` for each --print
key, so the test compares what the executor got, value by value.

server: the Deployment's pod (20-optimus-server.deployment.yaml) as a Pod
(restartPolicy Never) with the ConfigMap (11-...) and the Secrets (10-...):
- the config's http provider points at --artifacts-url (the stand-in on
  loopback) and keeps its auth, `bearer: {env: PLUGIN_REPO_TOKEN}`; the
  other providers (a real GCS bucket) and their plugins are left out;
- the install-plugins init container is played as written, with the local
  image;
- the server container (a placeholder image) becomes `optimus-plugin list`
  in the same working directory, which shows what the server would find;
- the Secrets are written to --secrets-dir as one JSON file per Secret, the
  form podman 4.3's secretKeyRef reads (`podman secret create NAME FILE`:
  a map of key to base64 value; a Secret document in the played file is
  stored in a form its secretKeyRef cannot read), with the token of
  --token-file as plugin-repo-token; secret volumes get `optional: false`
  (podman 4.3 dereferences it unchecked).
"""

import argparse
import base64
import json
import pathlib
import sys

import yaml


def container(spec, kind, name):
    for c in spec.get(kind, []):
        if c["name"] == name:
            return c
    sys.exit(f"kube_play_adapt: no {kind} container named {name}")


def job(args):
    pod = yaml.safe_load(pathlib.Path(args.source).read_text())
    init = container(pod["spec"], "initContainers", "optimus-init")
    init["image"] = args.init_image
    for var in init["env"]:
        if var["name"] == "OPTIMUS_HOST":
            var["value"] = args.host
    if args.protocol:
        init["env"].append({"name": "OPTIMUS_PROTOCOL", "value": args.protocol})
    executor = container(pod["spec"], "containers", "executor")
    executor["image"] = args.executor_image
    script = executor["args"][0].rstrip("\n") + "\n"
    for key in args.print.split(","):
        script += f'printf "value {key} %s\\n" "$(printf %s "${{{key}}}" | base64 -w 0)"\n'
    executor["args"][0] = script
    return [pod]


def server(args):
    docs_dir = pathlib.Path(args.source)
    deployment = yaml.safe_load((docs_dir / "20-optimus-server.deployment.yaml").read_text())
    configmap = yaml.safe_load((docs_dir / "11-optimus-server.configmap.yaml").read_text())
    secrets = [d for d in yaml.safe_load_all((docs_dir / "10-plugin-credentials.secret.yaml").read_text()) if d]
    token = pathlib.Path(args.token_file).read_text().strip()

    config = yaml.safe_load(configmap["data"]["optimus.yaml"])
    http = [p for p in config["plugins"]["providers"] if p["type"] == "http"]
    if not http:
        sys.exit("kube_play_adapt: the ConfigMap's config has no http provider")
    http[0]["url"] = args.artifacts_url
    config["plugins"]["providers"] = http[:1]
    config["plugins"]["plugins"] = [p for p in config["plugins"]["plugins"] if p["provider"] == http[0]["name"]]
    configmap["data"]["optimus.yaml"] = yaml.safe_dump(config, sort_keys=False)

    template = deployment["spec"]["template"]
    spec = template["spec"]
    spec["restartPolicy"] = "Never"
    install = container(spec, "initContainers", "install-plugins")
    install["image"] = args.plugin_image
    server_c = container(spec, "containers", "optimus-server")
    server_c["image"] = args.plugin_image
    server_c["args"] = ["list", "--plugin-dir", ".plugins", "--output", "json"]
    for key in ("ports", "readinessProbe", "env"):
        server_c.pop(key, None)
    for volume in spec.get("volumes", []):
        if "secret" in volume:
            volume["secret"]["optional"] = False
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": deployment["metadata"]["name"], "labels": template["metadata"].get("labels", {})},
        "spec": spec,
    }

    out_dir = pathlib.Path(args.secrets_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for secret in secrets:
        values = dict(secret.get("stringData") or {})
        values.update({k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()})
        if "plugin-repo-token" in values:
            values["plugin-repo-token"] = token
        encoded = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
        (out_dir / secret["metadata"]["name"]).write_text(json.dumps(encoded))
    return [configmap, pod]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["job", "server"])
    parser.add_argument("source")
    parser.add_argument("out")
    parser.add_argument("--init-image")
    parser.add_argument("--executor-image")
    parser.add_argument("--host")
    parser.add_argument("--protocol")
    parser.add_argument("--print", default="")
    parser.add_argument("--plugin-image")
    parser.add_argument("--artifacts-url")
    parser.add_argument("--token-file")
    parser.add_argument("--secrets-dir")
    args = parser.parse_args()
    docs = job(args) if args.mode == "job" else server(args)
    pathlib.Path(args.out).write_text(yaml.safe_dump_all(docs, sort_keys=False))


if __name__ == "__main__":
    main()

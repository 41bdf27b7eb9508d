"""Checks on docs/kubernetes/ that a schema cannot express.

Run by scripts/test.d/50-manifests.sh with the venv's Python (PyYAML comes
with kubernetes-validate). Exits 1 naming every problem found:

- every secret-bearing key of a plugin provider in a ConfigMap-held config
  is a reference ({env: NAME} or {file: PATH}), never an inline value;
- every env var a config references with {env: NAME} is set in the container
  that runs `optimus-plugin install`, from a Secret;
- every URL host in a config is a placeholder (example.org or a cluster-local
  name), so nothing in the examples points at a real endpoint.
"""

import pathlib
import sys
import urllib.parse

import yaml

SECRET_KEYS = {
    "bearer", "username", "password", "service_account", "access_key_id",
    "secret_access_key", "session_token", "access_key", "sas_token",
}
PLACEHOLDER_SUFFIXES = (".example.org", ".example.com", ".svc.cluster.local")


def secret_refs(node, where, problems, env_refs):
    """Walks a provider entry; records problems and referenced env names."""
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{where}.{key}"
            if key in SECRET_KEYS or where.endswith(".headers"):
                if not (isinstance(value, dict) and set(value) in ({"env"}, {"file"})):
                    problems.append(f"{path}: a secret must be {{env: NAME}} or {{file: PATH}}, not inline")
                elif "env" in value:
                    env_refs.add(value["env"])
            else:
                secret_refs(value, path, problems, env_refs)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            secret_refs(item, f"{where}[{i}]", problems, env_refs)


def urls(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from urls(value)
    elif isinstance(node, list):
        for item in node:
            yield from urls(item)
    elif isinstance(node, str) and "://" in node:
        yield node


def main(folder):
    problems = []
    docs = []
    for path in sorted(pathlib.Path(folder).rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path, doc))
    configs = 0
    for path, doc in docs:
        if doc.get("kind") != "ConfigMap":
            continue
        for key, text in (doc.get("data") or {}).items():
            config = yaml.safe_load(text)
            if not isinstance(config, dict) or not ({"plugins", "plugin"} & set(config)):
                continue
            configs += 1
            where = f"{path}: data.{key}"
            env_refs = set()
            providers = (config.get("plugins") or {}).get("providers") or []
            secret_refs(providers, f"{where}: plugins.providers", problems, env_refs)
            for url in urls(config):
                host = urllib.parse.urlsplit(url).hostname or ""
                if not host.endswith(PLACEHOLDER_SUFFIXES):
                    problems.append(f"{where}: {url}: host is not a placeholder")
            installers = [
                c
                for _, d in docs
                if d.get("kind") in ("Deployment", "Pod")
                for c in pod_spec(d).get("initContainers", []) + pod_spec(d).get("containers", [])
                if "install" in (c.get("args") or [])
            ]
            if not installers:
                problems.append(f"{where}: no container runs `optimus-plugin install`")
            for c in installers:
                env = {e["name"]: e for e in c.get("env", [])}
                for name in sorted(env_refs):
                    ref = env.get(name, {}).get("valueFrom", {}).get("secretKeyRef")
                    if not ref:
                        problems.append(f"{where}: {{env: {name}}} is not set from a Secret in container {c['name']}")
    if configs == 0:
        problems.append(f"{folder}: no ConfigMap holds a plugin-manager config")
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"{len(docs)} manifests, {configs} plugin-manager config(s): secrets referenced, hosts are placeholders")
    return 0


def pod_spec(doc):
    if doc.get("kind") == "Pod":
        return doc.get("spec") or {}
    return ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

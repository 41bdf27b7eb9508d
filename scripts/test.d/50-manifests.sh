#!/usr/bin/env bash
# Validates every Kubernetes manifest in docs/kubernetes/ (and deploy/) with
# kubernetes-validate --strict against the schemas it ships (offline; only
# the pip install reaches PyPI), checks what a schema cannot (no inline
# secret in a ConfigMap, placeholder hosts only), and compiles the Airflow
# DAG snippet.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Kubernetes versions to validate against: the oldest and newest we document.
K8S_VERSIONS=(1.31.0 1.37.0)
KV_VERSION=1.37.0

venv=target/tools/kubernetes-validate-$KV_VERSION
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KV_VERSION"
fi

mapfile -t manifests < <(find docs/kubernetes deploy -name '*.yaml' -o -name '*.yml' | sort)
if [ "${#manifests[@]}" -eq 0 ]; then
  echo "no manifests found" >&2
  exit 1
fi

for v in "${K8S_VERSIONS[@]}"; do
  echo "kubernetes-validate --strict -k $v: ${#manifests[@]} files"
  "$venv/bin/kubernetes-validate" --strict --quiet -k "$v" "${manifests[@]}"
done

"$venv/bin/python" deploy/check_manifests.py docs/kubernetes

# The Airflow snippet needs Airflow to run; here it must at least compile.
# compile() instead of py_compile so no __pycache__ lands in docs/.
while IFS= read -r py; do
  python3 -c 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")' "$py"
  echo "compiles: $py"
done < <(find docs/kubernetes deploy -name '*.py' | sort)

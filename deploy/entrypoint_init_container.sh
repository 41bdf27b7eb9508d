#!/bin/sh
# The init container's entrypoint where upstream Optimus's generated Airflow
# DAG expects it: the DAG runs `/bin/sh /opt/entrypoint_init_container.sh`
# and cannot be told another command. It hands over to optimus-init, found on
# PATH, with the environment the DAG set (OPTIMUS_HOST, PROJECT, JOB_NAME,
# SCHEDULED_AT, INSTANCE_TYPE, INSTANCE_NAME, JOB_DIR, DAG_RUN_ID, ...) and
# nothing added. It prints nothing itself, so no value (secret or not) can
# leak from here; optimus-init's own output never holds a secret.
set -eu

if ! command -v optimus-init >/dev/null 2>&1; then
  echo "entrypoint_init_container.sh: optimus-init is not on PATH ($PATH)" >&2
  exit 127
fi
exec optimus-init "$@"

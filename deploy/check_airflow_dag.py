"""Loads docs/kubernetes/airflow's DAG with real Airflow and checks the pod
each task would create against docs/kubernetes/30-job-pod.yaml.

    python check_airflow_dag.py DAG_FILE JOB_POD_YAML

Run by scripts/test.d/60-deploy.sh in a venv with apache-airflow and
apache-airflow-providers-cncf-kubernetes. No cluster: KUBECONFIG names a
dummy config that is loaded and never contacted.

For each task of the DAG, as a worker would run it: render the templated
fields, then call the operator's own `execute`, in which the DAG's subclass
renders the init containers' env; KubernetesPodOperator.execute itself is
replaced by `build_pod_request_obj(context)`, which returns the pod it would
send to the API server. The run's context has the manifest's scheduled time
as data_interval_end and the manifest's DAG_RUN_ID as run_id, so every value
must come out equal: containers (names, images, commands), env, volumes,
mounts, security contexts, resources, service-account token. Differences
are listed by path; exit 1 if any.

The executor's image and script differ on purpose (the manifest's is a demo
that lists /data/in; the DAG's runs the task), so they are not compared.
"""

import datetime
import importlib.util
import sys

import yaml


def main(dag_file, manifest_file):
    import pendulum  # noqa: PLC0415 (imports after the env is set up by the caller)
    from airflow.models.dagrun import DagRun  # noqa: PLC0415
    from airflow.models.taskinstance import TaskInstance  # noqa: PLC0415
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator  # noqa: PLC0415
    from kubernetes.client import ApiClient  # noqa: PLC0415

    with open(manifest_file, encoding="utf-8") as f:
        manifest = yaml.safe_load(f)
    init_env = {e["name"]: e.get("value") for e in manifest["spec"]["initContainers"][0]["env"]}
    scheduled_at = datetime.datetime.fromisoformat(init_env["SCHEDULED_AT"].replace("Z", "+00:00"))
    run_id = init_env["DAG_RUN_ID"]

    spec = importlib.util.spec_from_file_location("optimus_job_dag", dag_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag

    # What a worker would send to the API server, instead of sending it.
    KubernetesPodOperator.execute = lambda self, context: self.build_pod_request_obj(context)

    problems = []
    for task in dag.tasks:
        end = pendulum.instance(scheduled_at)
        dag_run = DagRun(dag_id=dag.dag_id, run_id=run_id, data_interval=(end - datetime.timedelta(days=1), end))
        ti = TaskInstance(task=task, run_id=run_id)
        ti.dag_run = dag_run
        context = {
            "dag": dag,
            "task": task,
            "ti": ti,
            "task_instance": ti,
            "dag_run": dag_run,
            "run_id": run_id,
            "data_interval_start": dag_run.data_interval_start,
            "data_interval_end": end,
            "logical_date": end,
            "ds": end.strftime("%Y-%m-%d"),
            "ts": end.isoformat(),
        }
        task.render_template_fields(context)
        pod = task.execute(context)
        got = ApiClient().sanitize_for_serialization(pod)
        problems += compare(task.task_id, got, manifest)
        rendered = {e["name"]: e.get("value") for e in got["spec"]["initContainers"][0]["env"]}
        print(f"{task.task_id}: pod {got['metadata'].get('name')}: init SCHEDULED_AT={rendered.get('SCHEDULED_AT')} "
              f"DAG_RUN_ID={rendered.get('DAG_RUN_ID')}; containers "
              f"{[c['name'] for c in got['spec'].get('initContainers', [])]} + {[c['name'] for c in got['spec']['containers']]}")
    if not dag.tasks:
        problems.append(f"{dag_file}: the DAG has no task")
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    return 1 if problems else 0


# What the API server fills in when a field is absent: equal to being set so.
K8S_DEFAULTS = {"terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}


def same_time(a, b):
    try:
        return datetime.datetime.fromisoformat(a.replace("Z", "+00:00")) == datetime.datetime.fromisoformat(b.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return False


def compare(task_id, got, manifest):
    problems = []

    def check(path, want, have):
        if want != have:
            problems.append(f"{task_id}: {path}: the manifest has {want!r}, the DAG's pod {have!r}")

    want_spec, got_spec = manifest["spec"], got["spec"]
    check("metadata.namespace", manifest["metadata"]["namespace"], got["metadata"].get("namespace"))
    for key in ("restartPolicy", "automountServiceAccountToken", "securityContext", "volumes"):
        check(f"spec.{key}", want_spec.get(key), got_spec.get(key))
    for kind in ("initContainers", "containers"):
        want_names = [c["name"] for c in want_spec.get(kind, [])]
        got_names = [c["name"] for c in got_spec.get(kind, [])]
        check(f"spec.{kind}[*].name", want_names, got_names)
        if want_names != got_names:
            continue
        for want_c, got_c in zip(want_spec[kind], got_spec[kind]):
            where = f"spec.{kind}[{want_c['name']}]"
            keys = ["command", "volumeMounts", "resources", "securityContext", "terminationMessagePath",
                    "terminationMessagePolicy", "workingDir"]
            if kind == "initContainers":
                keys += ["image", "args"]
            for key in keys:
                default = K8S_DEFAULTS.get(key)
                check(f"{where}.{key}", want_c.get(key, default), got_c.get(key, default))
            want_env = {e["name"]: e.get("value") for e in want_c.get("env") or []}
            got_env = {e["name"]: e.get("value") for e in got_c.get("env") or []}
            check(f"{where}.env (names)", sorted(want_env), sorted(got_env))
            for name in sorted(set(want_env) & set(got_env)):
                if name == "SCHEDULED_AT":
                    if not same_time(want_env[name], got_env[name]):
                        problems.append(f"{task_id}: {where}.env.{name}: {got_env[name]!r} is not the instant {want_env[name]!r}")
                else:
                    check(f"{where}.env.{name}", want_env[name], got_env[name])
    return problems


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

"""An Optimus job run as an Airflow task: the KubernetesPodOperator
equivalent of ../30-job-pod.yaml.

The init container `optimus-init` writes the run's inputs to the emptyDir at
/data (/data/in/<files>, /data/in/.env, /data/in/.secret); the executor, any
image, reads them. Needs apache-airflow-providers-cncf-kubernetes.

All names below are placeholders: the image registry, the namespace, the
project and job. OPTIMUS_HOST is the gRPC port of the server's in-cluster
Service (../21-optimus-server.service.yaml), which optimus-init calls by
default, as upstream's init container does. To use the REST gateway (port
9100) instead, set OPTIMUS_HOST to that port and OPTIMUS_PROTOCOL=rest.

scripts/test.d/60-deploy.sh loads this file with Airflow and checks that the
pod it builds is ../30-job-pod.yaml (deploy/check_airflow_dag.py).
"""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from kubernetes.client import models as k8s

OPTIMUS_HOST = "optimus-server.optimus.svc.cluster.local:9101"
PROJECT = "sample-project"
JOB_NAME = "sample-job"
INIT_IMAGE = "registry.example.org/optimus/optimus-init:0.1.0"
EXECUTOR_IMAGE = "registry.example.org/optimus/bq2bq-executor:0.3.2"

JOB_DIR = "/data"

job_volume = k8s.V1Volume(
    name="job-data",
    empty_dir=k8s.V1EmptyDirVolumeSource(size_limit="512Mi"),
)
# The init container writes the inputs; the executor only reads them.
job_mount = k8s.V1VolumeMount(name="job-data", mount_path=JOB_DIR)
executor_mount = k8s.V1VolumeMount(name="job-data", mount_path=JOB_DIR, read_only=True)

no_privileges = k8s.V1SecurityContext(
    allow_privilege_escalation=False,
    read_only_root_filesystem=True,
    capabilities=k8s.V1Capabilities(drop=["ALL"]),
)


class OptimusPodOperator(KubernetesPodOperator):
    """KubernetesPodOperator that also renders Jinja in the init containers'
    env values (the stock operator templates only the main container)."""

    def execute(self, context):
        for container in self.init_containers or []:
            for var in container.env or []:
                if var.value:
                    var.value = self.render_template(var.value, context)
        return super().execute(context)


def init_container(instance_type: str, instance_name: str) -> k8s.V1Container:
    """The optimus-init container for one task or hook of the job.

    SCHEDULED_AT is rendered by OptimusPodOperator: the end of the run's data
    interval in RFC 3339 (what Optimus calls the scheduled time).
    DAG_RUN_ID lets the server tell reruns of one scheduled time apart.
    """
    env = {
        "OPTIMUS_HOST": OPTIMUS_HOST,
        "PROJECT": PROJECT,
        "JOB_NAME": JOB_NAME,
        "SCHEDULED_AT": "{{ data_interval_end | ts }}",
        "INSTANCE_TYPE": instance_type,
        "INSTANCE_NAME": instance_name,
        "JOB_DIR": JOB_DIR,
        "DAG_RUN_ID": "{{ run_id }}",
        "OPTIMUS_LOG_FORMAT": "json",
    }
    return k8s.V1Container(
        name="optimus-init",
        image=INIT_IMAGE,
        env=[k8s.V1EnvVar(name=k, value=v) for k, v in env.items()],
        volume_mounts=[job_mount],
        # On failure optimus-init writes a short reason (never a secret) here.
        termination_message_path="/dev/termination-log",
        termination_message_policy="FallbackToLogsOnError",
        security_context=no_privileges,
        resources=k8s.V1ResourceRequirements(
            requests={"cpu": "50m", "memory": "32Mi"},
            limits={"memory": "128Mi"},
        ),
    )


with DAG(
    dag_id=f"{PROJECT}__{JOB_NAME}",
    start_date=datetime(2026, 11, 1),
    schedule="0 2 * * *",
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
) as dag:
    OptimusPodOperator(
        task_id="bq2bq",
        name="bq2bq",
        namespace="optimus",
        # The main container's name, as in ../30-job-pod.yaml (the
        # operator's default is "base").
        base_container_name="executor",
        image=EXECUTOR_IMAGE,
        # Any image with a POSIX shell: load the inputs, then run the task.
        cmds=["/bin/sh", "-c"],
        arguments=[
            "set -eu; set -o allexport; . /data/in/.env; . /data/in/.secret; "
            "set +o allexport; exec /app/run-task"
        ],
        # For an image without a shell, give the init container
        # arguments=["--install-launcher"] and use here:
        #   cmds=["/data/bin/optimus-init", "exec", "--"],
        #   arguments=["/app/run-task"],
        init_containers=[init_container("task", "bq2bq")],
        volumes=[job_volume],
        volume_mounts=[executor_mount],
        container_resources=k8s.V1ResourceRequirements(
            requests={"cpu": "100m", "memory": "64Mi"},
        ),
        # Nothing in the job talks to the Kubernetes API.
        automount_service_account_token=False,
        security_context=k8s.V1PodSecurityContext(
            run_as_non_root=True,
            run_as_user=65532,
            run_as_group=65532,
            fs_group=65532,
            seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault"),
        ),
        container_security_context=no_privileges,
        # The init phase (optimus-init's deadline is 90 s) fits in this.
        startup_timeout_seconds=300,
        get_logs=True,
        on_finish_action="delete_pod",
    )

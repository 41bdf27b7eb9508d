//! optimus-init as a drop-in for upstream's init container: the env
//! upstream's generated DAG sets, gRPC to a local stand-in for each fork's
//! server, upstream's executor command in bash, and the compat entrypoint
//! run by sh, dash and bash.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::Ordering;

use crate::grpc_server::{GOTO, GrpcFault, GrpcServer, RAYSTACK, Reply};
use crate::support::{exe, run, text};
use tonic::Code;

const SENTINEL: &str = "SENTINEL-c41d-grpc-secret";

/// Values that break naive env files: quotes, newlines, `$`, backticks,
/// backslashes, unicode, a trailing newline, `'\''` itself.
fn tricky() -> Vec<(&'static str, String)> {
    vec![
        ("QUOTES", r#"it's "quoted" and 'single'"#.to_owned()),
        ("NEWLINES", "line1\nline2\n\nline4\n".to_owned()),
        ("DOLLAR", "$HOME ${PATH} $(id) `id` $((1+1))".to_owned()),
        ("BACKSLASH", r"C:\temp\new \\ \n \' \x41".to_owned()),
        ("UNICODE", "zoë ☃ 日本語 🚀 \u{200b}".to_owned()),
        ("ESCAPED_QUOTE", r"a'\''b".to_owned()),
        ("EMPTY", String::new()),
    ]
}

fn reply() -> Reply {
    let mut r = Reply::new(
        &[("PROJECT", "proj"), ("JOB_LABELS", "team=data")],
        &[
            ("query.sql", "select * from t where d = '2026-11-22'"),
            ("sub/config.json", "{\"a\": 1}"),
        ],
        &[("TOKEN", SENTINEL)],
    );
    for (k, v) in tricky() {
        r.envs.insert(format!("ENV_{k}"), v.clone());
        r.secrets
            .insert(format!("SECRET_{k}"), format!("{SENTINEL}{v}"));
    }
    r
}

/// The binary with exactly the env upstream's DAG gives the init container.
fn dag_env(c: &mut Command, host: &str, job_dir: &Path) {
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("JOB_DIR", job_dir)
        .env("JOB_NAME", "job1")
        .env("OPTIMUS_HOST", host)
        .env("PROJECT", "proj")
        .env("INSTANCE_TYPE", "task")
        .env("INSTANCE_NAME", "bq2bq")
        .env("SCHEDULED_AT", "2026-11-22T10:00:00+00:00")
        .env("DAG_RUN_ID", "scheduled__2026-11-22T10:00:00+00:00");
}

fn init(host: &str, job_dir: &Path) -> Command {
    let mut c = Command::new(exe());
    dag_env(&mut c, host, job_dir);
    c.env("OPTIMUS_INIT_DEADLINE", "10s");
    c
}

fn no_secret(out: &Output) {
    for s in [text(&out.stdout), text(&out.stderr)] {
        assert!(!s.contains("SENTINEL"), "a secret in the output: {s}");
    }
}

/// `env -0` output as a map.
fn parse_env0(raw: &[u8]) -> BTreeMap<String, Vec<u8>> {
    raw.split(|b| *b == 0)
        .filter(|e| !e.is_empty())
        .filter_map(|e| {
            let at = e.iter().position(|b| *b == b'=')?;
            Some((text(&e[..at]), e[at + 1..].to_vec()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_dag_env_then_upstreams_executor_command_in_bash() {
    let srv = GrpcServer::start(&[GOTO], reply()).await;
    let volume = tempfile::tempdir().unwrap();
    let mut c = init(&srv.host(), volume.path());
    c.arg("-vv");
    let out = run(c).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    no_secret(&out);
    assert!(
        !text(&out.stderr).contains("select *"),
        "file content logged"
    );

    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0].request;
    assert_eq!(reqs[0].service, GOTO);
    assert_eq!(
        (r.project_name.as_str(), r.job_name.as_str()),
        ("proj", "job1")
    );
    assert_eq!((r.instance_type, r.instance_name.as_str()), (1, "bq2bq"));
    assert_eq!(r.scheduled_at.as_ref().unwrap().seconds, 1_795_341_600);
    assert_eq!(r.dag_run_id, "scheduled__2026-11-22T10:00:00+00:00");
    assert_eq!(r.jobrun_id, "");

    let d = volume.path().join("in");
    assert_eq!(
        std::fs::read_to_string(d.join("query.sql")).unwrap(),
        "select * from t where d = '2026-11-22'"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("sub/config.json")).unwrap(),
        "{\"a\": 1}"
    );

    // Upstream's executor command, JOB_DIR in place of /data, in bash with
    // an empty environment; the plugin's script dumps what it sees.
    let job = volume.path().display().to_string();
    let script = format!(
        "set -o allexport; source {job}/in/.env; set +o allexport; cat {job}/in/.env; \
         set -o allexport; source {job}/in/.secret; set +o allexport; env -0 > {job}/seen"
    );
    let Some(bash) = shell_or_note("bash") else {
        return;
    };
    let exec = Command::new("env")
        .args(["-i", &bash, "-c", &script])
        .output()
        .unwrap();
    assert!(exec.status.success(), "{}", text(&exec.stderr));
    assert_eq!(
        exec.stdout,
        std::fs::read(d.join(".env")).unwrap(),
        "cat prints .env"
    );
    let seen = parse_env0(&std::fs::read(volume.path().join("seen")).unwrap());
    let want = reply();
    for (k, v) in want.envs.iter().chain(&want.secrets) {
        assert_eq!(
            seen.get(k).map(Vec::as_slice),
            Some(v.as_bytes()),
            "{k} byte for byte"
        );
    }
}

/// The path of `name` when the machine has it; otherwise a printed note and
/// `None` (a failure when `OPTIMUS_INIT_REQUIRE_SHELLS` is set, as in
/// scripts/test.d, which installs them).
fn shell_or_note(name: &str) -> Option<String> {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| text(&o.stdout).trim().to_owned())
        .filter(|p| !p.is_empty());
    if found.is_none() {
        assert!(
            std::env::var_os("OPTIMUS_INIT_REQUIRE_SHELLS").is_none(),
            "{name} is required here but not installed"
        );
        println!("note: {name} is not installed; skipping its part of this test");
    }
    found
}

fn entrypoint() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/entrypoint_init_container.sh")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compat_entrypoint_under_sh_dash_and_bash() {
    let srv = GrpcServer::start(&[RAYSTACK], reply()).await;
    let bin_dir = exe().parent().unwrap().to_path_buf();
    let system_path = std::env::var("PATH").unwrap_or_default();
    for name in ["sh", "dash", "bash"] {
        let Some(shell) = shell_or_note(name) else {
            continue;
        };
        let volume = tempfile::tempdir().unwrap();
        // As the DAG runs it: `/bin/sh /opt/entrypoint_init_container.sh`.
        let mut c = Command::new(&shell);
        c.arg(entrypoint());
        dag_env(&mut c, &srv.host(), volume.path());
        c.env("PATH", format!("{}:{system_path}", bin_dir.display()));
        let out = run(c).await;
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        no_secret(&out);
        let env = std::fs::read_to_string(volume.path().join("in/.env")).unwrap();
        assert!(env.contains("PROJECT='proj'"), "{name}: {env}");
        assert!(volume.path().join("in/.secret").exists());

        // Without optimus-init on PATH: 127 and a message saying so.
        let mut c = Command::new(&shell);
        c.arg(entrypoint());
        dag_env(&mut c, &srv.host(), volume.path());
        c.env("PATH", "/nonexistent");
        let out = run(c).await;
        assert_eq!(out.status.code(), Some(127), "{name}");
        assert!(text(&out.stderr).contains("not on PATH"), "{name}");
    }
    // The fork was found once per run; later calls went straight to it.
    assert!(srv.requests().iter().all(|r| r.service == RAYSTACK));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jobrun_id_that_is_not_a_uuid_exits_2_before_any_request() {
    let srv = GrpcServer::start(&[GOTO], reply()).await;
    let volume = tempfile::tempdir().unwrap();
    let mut c = init(&srv.host(), volume.path());
    c.env("JOBRUN_ID", "scheduled__2026-11-22T10:00:00+00:00");
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("JOBRUN_ID"),
        "{}",
        text(&out.stderr)
    );
    assert!(srv.requests().is_empty());
    assert!(!volume.path().join("in").exists());

    // A UUID is sent as jobrun_id, next to the DAG run id.
    let mut c = init(&srv.host(), volume.path());
    c.env("JOBRUN_ID", "8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6f");
    let out = run(c).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = &srv.requests()[0].request;
    assert_eq!(r.jobrun_id, "8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6f");
    assert_eq!(r.dag_run_id, "scheduled__2026-11-22T10:00:00+00:00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_exit_1_naming_the_status_and_write_nothing() {
    let srv = GrpcServer::start(&[GOTO], reply()).await;
    srv.push_fault(GrpcFault::Status(
        Code::NotFound,
        "job job1 not found in project proj".into(),
    ));
    let volume = tempfile::tempdir().unwrap();
    let term = volume.path().join("term");
    let mut c = init(&srv.host(), volume.path());
    c.arg("--termination-log").arg(&term);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(1));
    let summary = std::fs::read_to_string(&term).unwrap();
    assert!(
        summary.contains("answered NOT_FOUND: job job1 not found in project proj"),
        "{summary}"
    );
    assert!(!volume.path().join("in").exists());
    assert_eq!(srv.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_over_max_bytes_is_refused_before_it_is_read() {
    let srv = GrpcServer::start(&[GOTO], reply()).await;
    srv.push_fault(GrpcFault::Announce(100 << 20));
    let volume = tempfile::tempdir().unwrap();
    let mut c = init(&srv.host(), volume.path());
    c.args(["--max-bytes", "10MiB"]);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let log = text(&out.stderr);
    assert!(
        log.contains("over the limit") && log.contains("--max-bytes"),
        "{log}"
    );
    assert!(!volume.path().join("in").exists());
    let pulled = srv.shared.pulled.load(Ordering::SeqCst);
    assert!(pulled < 16 << 20, "{pulled} of 100 MiB were read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_ca_file_and_a_pinned_package() {
    let (srv, ca) = GrpcServer::start_tls(&[RAYSTACK], reply()).await;
    let volume = tempfile::tempdir().unwrap();
    let ca_file = volume.path().join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let job = volume.path().join("job");
    let host = format!("https://localhost:{}", srv.addr.port());
    let mut c = init(&host, &job);
    c.arg("--tls-ca-file")
        .arg(&ca_file)
        .env("OPTIMUS_GRPC_PACKAGE", "raystack");
    let out = run(c).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(job.join("in/query.sql").exists());
    assert_eq!(srv.requests().len(), 1);

    let mut c = init(&host, &job);
    c.arg("--tls-ca-file")
        .arg(volume.path().join("missing.pem"));
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("OPTIMUS_TLS_CA_FILE"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_is_still_there_and_sends_both_run_ids() {
    let srv = crate::server::RunInputServer::start(serde_json::json!({"envs": {"A": "1"}}));
    let volume = tempfile::tempdir().unwrap();
    let mut c = init(&srv.host(), volume.path());
    c.args(["--protocol", "rest"])
        .env("JOBRUN_ID", "8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6f");
    let out = run(c).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        srv.requests()[0].body,
        serde_json::json!({
            "scheduled_at": "2026-11-22T10:00:00Z",
            "instance_name": "bq2bq",
            "instance_type": "TYPE_TASK",
            "jobrun_id": "8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6f",
            "dag_run_id": "scheduled__2026-11-22T10:00:00+00:00"
        })
    );
}

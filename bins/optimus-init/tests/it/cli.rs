//! optimus-init end to end over the REST gateway (`--protocol rest`): a
//! local Optimus server, the binary, and an executor process that shares
//! only the job dir (the emptyDir). The gRPC default is in `grpc.rs`.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::server::{Fault, RunInputServer};
use crate::support::{exe, run, text};
use serde_json::json;

const SENTINEL: &str = "SENTINEL-7f3a-secret";

pub(crate) fn bin() -> Command {
    let mut c = Command::new(exe());
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    c
}

pub(crate) fn init(srv: &RunInputServer, job_dir: &Path) -> Command {
    let mut c = bin();
    c.env("OPTIMUS_HOST", srv.host())
        .env("OPTIMUS_PROTOCOL", "rest")
        .env("PROJECT", "proj")
        .env("JOB_NAME", "job1")
        .env("SCHEDULED_AT", "2026-11-23T00:00:00Z")
        .env("INSTANCE_TYPE", "task")
        .env("INSTANCE_NAME", "bq2bq")
        .env("JOB_DIR", job_dir)
        .env("OPTIMUS_INIT_DEADLINE", "10s");
    c
}

fn reply() -> serde_json::Value {
    json!({
        "envs": {"PROJECT": "proj", "QUOTED": "it's \"$HOME\" `id`\nline2", "OVERRIDE": "from-env"},
        "secrets": {"TOKEN": SENTINEL, "OVERRIDE": "from-secret"},
        "files": {
            "run.sh": "printf 'project=%s\\n' \"$PROJECT\"\nprintf 'quoted=[%s]\\n' \"$QUOTED\"\nprintf 'token_len=%s\\n' \"${#TOKEN}\"\nprintf 'override=%s\\n' \"$OVERRIDE\"\nprintf 'query=%s\\n' \"$(cat \"$(dirname \"$0\")/sql/query.sql\")\"\n",
            "sql/query.sql": "select * from t where d = '2026-11-23'"
        }
    })
}

const EXPECTED: &str = "project=proj\nquoted=[it's \"$HOME\" `id`\nline2]\ntoken_len=20\noverride=from-secret\nquery=select * from t where d = '2026-11-23'\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_simulation_init_then_executor_sharing_only_the_volume() {
    let srv = RunInputServer::start(reply());
    let volume = tempfile::tempdir().unwrap();
    let term = volume.path().join("termination-log");
    let mut c = init(&srv, volume.path());
    c.args(["--log-format", "json", "--install-launcher"])
        .arg("--termination-log")
        .arg(&term);
    let out = run(c).await;
    let log = text(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(
        !log.contains(SENTINEL) && !text(&out.stdout).contains(SENTINEL),
        "{log}"
    );
    assert!(
        !log.contains("select *"),
        "file content never logged: {log}"
    );
    for line in log.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    assert!(
        log.contains("\"files\":2") && log.contains("wrote"),
        "{log}"
    );
    assert!(!term.exists(), "no termination log on success");

    // The executor: another process, a clean environment, only the volume.
    let d = volume.path().display().to_string();
    let script = format!("set -a; . {d}/in/.env; . {d}/in/.secret; set +a; sh {d}/in/run.sh");
    let exec = Command::new("env")
        .args(["-i", "sh", "-c", &script])
        .output()
        .unwrap();
    assert_eq!(text(&exec.stdout), EXPECTED, "{}", text(&exec.stderr));

    // The same through the launcher (no shell needed to load the files).
    let launcher = volume.path().join("bin/optimus-init");
    let exec = Command::new(&launcher)
        .env_clear()
        .env("JOB_DIR", volume.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .args(["exec", "--", "sh"])
        .arg(volume.path().join("in/run.sh"))
        .output()
        .unwrap();
    assert_eq!(text(&exec.stdout), EXPECTED, "{}", text(&exec.stderr));
    assert!(
        exec.stderr.is_empty(),
        "exec prints nothing: {}",
        text(&exec.stderr)
    );

    // A restarted init container finds the work done and asks nothing.
    let out = run(init(&srv, volume.path())).await;
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("already complete"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(srv.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modes_are_group_readable_and_secrets_not_world_readable_under_any_umask() {
    use std::os::unix::fs::PermissionsExt;
    let srv = RunInputServer::start(reply());
    let volume = tempfile::tempdir().unwrap();
    let mut c = init(&srv, volume.path());
    let exe = c.get_program().to_owned();
    // Run through sh to set a strict umask first.
    let mut sh = Command::new("sh");
    sh.args(["-c", "umask 077; exec \"$0\""]).arg(exe);
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            sh.env(k, v);
        }
    }
    c = sh;
    let out = run(c).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mode = |p: &str| {
        std::fs::metadata(volume.path().join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("in"), 0o750);
    assert_eq!(mode("in/sql"), 0o750);
    assert_eq!(mode("in/.env"), 0o640);
    assert_eq!(mode("in/.secret"), 0o640);
    assert_eq!(mode("in/sql/query.sql"), 0o640);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_passes_the_exact_environment_and_the_exit_code() {
    let volume = tempfile::tempdir().unwrap();
    std::fs::create_dir(volume.path().join("in")).unwrap();
    std::fs::write(
        volume.path().join("in/.env"),
        "A='1'\nB='two words'\nKEEP='file'\n",
    )
    .unwrap();
    std::fs::write(
        volume.path().join("in/.secret"),
        format!("S='{SENTINEL}'\nB='secret wins'\n"),
    )
    .unwrap();
    let out = bin()
        .env("JOB_DIR", volume.path())
        .env("KEEP", "inherited")
        .env("OTHER", "x")
        .args(["exec", "--", "env", "-0"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut got: Vec<String> = out
        .stdout
        .split(|b| *b == 0)
        .filter(|e| !e.is_empty())
        .map(text)
        .collect();
    got.sort();
    let path = format!("PATH={}", std::env::var("PATH").unwrap_or_default());
    let mut want = vec![
        "A=1".to_string(),
        "B=secret wins".into(),
        format!("JOB_DIR={}", volume.path().display()),
        "KEEP=file".into(),
        "OTHER=x".into(),
        path,
        format!("S={SENTINEL}"),
    ];
    want.sort();
    assert_eq!(got, want);

    let out = bin()
        .env("JOB_DIR", volume.path())
        .args(["exec", "--", "sh", "-c", "exit 42"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(42));
    let out = bin()
        .env("JOB_DIR", volume.path())
        .args(["exec", "--", "no-such-command-xyz"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
    let err = bin()
        .env("JOB_DIR", "/nonexistent")
        .args(["exec", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(err.status.code(), Some(1));
    assert!(
        text(&err.stderr).contains("/nonexistent/in/.env"),
        "{}",
        text(&err.stderr)
    );
}

#[test]
fn exec_forwards_sigterm_because_it_becomes_the_command() {
    let volume = tempfile::tempdir().unwrap();
    std::fs::create_dir(volume.path().join("in")).unwrap();
    std::fs::write(volume.path().join("in/.env"), "").unwrap();
    std::fs::write(volume.path().join("in/.secret"), "").unwrap();
    let mut child = bin()
        .env("JOB_DIR", volume.path())
        .args([
            "exec",
            "--",
            "sh",
            "-c",
            "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let status = child.wait().unwrap();
    assert_eq!(lines.next().unwrap().unwrap(), "got-term");
    assert_eq!(status.code(), Some(7));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_exit_1_with_a_termination_summary_and_no_secret() {
    let srv = RunInputServer::start(reply());
    srv.push_fault(Fault::Status {
        status: 404,
        retry_after: None,
        body: r#"{"code":5,"message":"job job1 not found"}"#.into(),
    });
    let volume = tempfile::tempdir().unwrap();
    let term = volume.path().join("term");
    let mut c = init(&srv, volume.path());
    c.arg("--termination-log").arg(&term);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(1));
    let summary = std::fs::read_to_string(&term).unwrap();
    assert!(
        summary.contains("HTTP 404: job job1 not found"),
        "{summary}"
    );
    assert!(summary.len() < 4096);
    assert!(!volume.path().join("in").exists());

    // Strict: a secret holding "<no value>" fails, naming the key only.
    let srv = RunInputServer::start(json!({"secrets": {"TOKEN": format!("{SENTINEL}<no value>")}}));
    let mut c = init(&srv, volume.path());
    c.arg("--strict").arg("--termination-log").arg(&term);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(1));
    let summary = std::fs::read_to_string(&term).unwrap();
    assert!(summary.contains("secrets.TOKEN"), "{summary}");
    for s in [summary, text(&out.stderr), text(&out.stdout)] {
        assert!(!s.contains(SENTINEL), "{s}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_exit_2_naming_the_setting() {
    let srv = RunInputServer::start(reply());
    let volume = tempfile::tempdir().unwrap();
    for (key, value, want) in [
        ("SCHEDULED_AT", "yesterday", "SCHEDULED_AT"),
        ("INSTANCE_TYPE", "dag", "INSTANCE_TYPE"),
        ("PROJECT", "", "PROJECT"),
    ] {
        let mut c = init(&srv, volume.path());
        c.env(key, value);
        let out = run(c).await;
        assert_eq!(out.status.code(), Some(2), "{key}");
        assert!(text(&out.stderr).contains(want), "{}", text(&out.stderr));
    }
    let mut c = init(&srv, volume.path());
    c.env_remove("JOB_NAME");
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--job-name"),
        "{}",
        text(&out.stderr)
    );
    assert!(srv.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_during_the_write_leaves_no_in_or_a_complete_one() {
    let files: serde_json::Map<String, serde_json::Value> = (0..3000)
        .map(|i| (format!("d{}/f{i}.txt", i % 50), json!("x".repeat(200))))
        .collect();
    let srv = RunInputServer::start(json!({"files": files, "envs": {"A": "1"}}));
    let volume = tempfile::tempdir().unwrap();
    let mut saw_partial_run = false;
    for step in 0..16u64 {
        let _ = std::fs::remove_dir_all(volume.path().join("in"));
        let mut child = init(&srv, volume.path())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20 + step * 15)).await;
        let _ = child.kill();
        let _ = child.wait();
        let inp = volume.path().join("in");
        if inp.exists() {
            let marker: serde_json::Value =
                serde_json::from_slice(&std::fs::read(inp.join(".optimus-init.json")).unwrap())
                    .unwrap();
            assert_eq!(marker["files"], 3000);
            let count: usize = (0..50)
                .map(|d| {
                    std::fs::read_dir(inp.join(format!("d{d}")))
                        .unwrap()
                        .count()
                })
                .sum();
            assert_eq!(count, 3000, "step {step}: a visible in/ is complete");
        } else {
            saw_partial_run = true;
        }
    }
    // Whatever was left, a restart finishes and cleans the staging folders.
    let out = run(init(&srv, volume.path())).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let names: Vec<String> = std::fs::read_dir(volume.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["in"], "no staging folder left");
    eprintln!("a kill landed before publishing in at least one step: {saw_partial_run}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_from_a_file_prefix_join_the_server_files() {
    let srv = RunInputServer::start(json!({"files": {"query.sql": "select 1"}}));
    let assets = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(assets.path().join("job1/sub")).unwrap();
    std::fs::write(assets.path().join("job1/model.bin"), b"\x00\x01binary").unwrap();
    std::fs::write(assets.path().join("job1/sub/extra.txt"), "extra").unwrap();
    let volume = tempfile::tempdir().unwrap();
    let mut c = init(&srv, volume.path());
    c.arg("--assets")
        .arg(format!("file://{}/job1/", assets.path().display()));
    let out = run(c).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let inp = volume.path().join("in");
    assert_eq!(
        std::fs::read(inp.join("model.bin")).unwrap(),
        b"\x00\x01binary"
    );
    assert_eq!(
        std::fs::read_to_string(inp.join("sub/extra.txt")).unwrap(),
        "extra"
    );
    assert_eq!(
        std::fs::read_to_string(inp.join("query.sql")).unwrap(),
        "select 1"
    );

    // An asset named like a server file is a conflict: nothing is written.
    std::fs::write(assets.path().join("job1/query.sql"), "other").unwrap();
    let volume = tempfile::tempdir().unwrap();
    let mut c = init(&srv, volume.path());
    c.arg("--assets")
        .arg(format!("file://{}/job1/", assets.path().display()));
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("appears twice"),
        "{}",
        text(&out.stderr)
    );
    assert!(!volume.path().join("in").exists());
}

/// Runs only as root with `setpriv` (to switch users); elsewhere it says so
/// and returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_root_init_and_executor_share_files_through_the_fs_group() {
    use std::os::unix::fs::PermissionsExt;
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| text(&o.stdout).trim() == "0");
    let has_setpriv = Command::new("setpriv").arg("--version").output().is_ok();
    if !is_root || !has_setpriv {
        eprintln!("skipped: needs root and setpriv to switch users");
        return;
    }
    let srv = RunInputServer::start(reply());
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // What kubelet makes of an emptyDir with fsGroup 2000: group 2000, setgid.
    let volume = root.path().join("data");
    std::fs::create_dir(&volume).unwrap();
    assert!(
        Command::new("chown")
            .arg("0:2000")
            .arg(&volume)
            .status()
            .unwrap()
            .success()
    );
    std::fs::set_permissions(&volume, std::fs::Permissions::from_mode(0o2777)).unwrap();

    // The init container: uid 1000, fsGroup 2000 as supplementary group.
    let c = init(&srv, &volume);
    let mut as_init = Command::new("setpriv");
    as_init
        .args(["--reuid=1000", "--regid=1000", "--groups=2000", "--"])
        .arg(c.get_program());
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            as_init.env(k, v);
        }
    }
    let out = run(as_init).await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    // The executor: another uid, same fsGroup.
    let d = volume.display().to_string();
    let script = format!("set -a; . {d}/in/.env; . {d}/in/.secret; set +a; sh {d}/in/run.sh");
    let exec = Command::new("setpriv")
        .args([
            "--reuid=1001",
            "--regid=1001",
            "--groups=2000",
            "--",
            "env",
            "-i",
            "sh",
            "-c",
            &script,
        ])
        .output()
        .unwrap();
    assert_eq!(text(&exec.stdout), EXPECTED, "{}", text(&exec.stderr));

    // A user outside the group reads nothing.
    let other = Command::new("setpriv")
        .args([
            "--reuid=1002",
            "--regid=1002",
            "--clear-groups",
            "--",
            "cat",
        ])
        .arg(volume.join("in/.secret"))
        .output()
        .unwrap();
    assert!(!other.status.success());
    assert!(!text(&other.stdout).contains(SENTINEL));
}

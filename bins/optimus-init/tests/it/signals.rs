//! SIGTERM and SIGINT while optimus-init waits for the run input: exit 143
//! (130) with one line saying what was interrupted, in the log and the
//! termination summary, and nothing written to the job dir.
#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::cli::init;
use crate::server::{Fault, RunInputServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_while_the_reply_is_awaited_stops_the_step_and_writes_nothing() {
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let srv =
            RunInputServer::start(json!({"envs": {"A": "1"}, "files": {"q.sql": "select 1"}}));
        // The server holds the request far longer than the test waits.
        srv.push_fault(Fault::Slow(Duration::from_mins(1)));
        let volume = tempfile::tempdir().unwrap();
        let job_dir = volume.path().join("job");
        std::fs::create_dir(&job_dir).unwrap();
        let term = volume.path().join("termination-log");
        let mut c = init(&srv, &job_dir);
        c.arg("--termination-log")
            .arg(&term)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let child = c.spawn().unwrap();
        let start = Instant::now();
        while srv.requests().is_empty() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no request arrived"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let sent = Instant::now();
        let st = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(st.success());
        let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        let took = sent.elapsed();
        let log = String::from_utf8_lossy(&out.stderr).into_owned();

        assert_eq!(out.status.code(), Some(code), "{log}");
        assert!(took < Duration::from_secs(5), "stopped after {took:?}");
        let want = format!(
            "interrupted by SIG{signal}: writing the inputs into {} cancelled; no inputs were written",
            job_dir.display()
        );
        let said: Vec<&str> = log.lines().filter(|l| l.contains("interrupted")).collect();
        assert_eq!(said.len(), 1, "{log}");
        assert!(said[0].contains(&want), "{log}");
        let summary = std::fs::read_to_string(&term).unwrap();
        assert!(
            summary.starts_with(&format!("optimus-init failed (exit {code})")),
            "{summary}"
        );
        assert!(summary.contains(&want), "{summary}");
        let left: Vec<_> = std::fs::read_dir(&job_dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(left.is_empty(), "the job dir holds {left:?}");
    }
}

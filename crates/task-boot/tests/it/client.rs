//! The REST run-input client against the contract server, with fault
//! injection.

use std::time::{Duration, Instant};

use serde_json::json;
use task_boot::{BootError, InstanceType, RunRequest, fetch_run_input};

use crate::server::{Fault, RunInputServer};
use crate::{opts, request};
use testkit::free_port;

fn reply() -> serde_json::Value {
    json!({
        "envs": {"PROJECT": "proj-1", "DSTART": "2026-11-23T00:00:00Z"},
        "files": {"query.sql": "select 1", "sub/config.json": "{}"},
        "secrets": {"TOKEN": "SENTINEL-secret-1"}
    })
}

#[tokio::test]
async fn request_matches_the_contract_exactly() {
    let srv = RunInputServer::start(reply());
    let (input, stats) = fetch_run_input(&request(&srv.host()), &opts(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(stats.attempts, 1);
    assert_eq!(input.envs["PROJECT"], "proj-1");
    assert_eq!(input.files["sub/config.json"], "{}");
    assert_eq!(input.secrets.keys().collect::<Vec<_>>(), ["TOKEN"]);

    let hook = RunRequest::new(
        &format!("http://{}/", srv.host()),
        "proj-1",
        "job a",
        "2026-11-23T00:00:00Z",
        InstanceType::Hook,
        "transporter",
    )
    .unwrap()
    .with_jobrun_id(Some("8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6f"))
    .unwrap()
    .with_dag_run_id(Some("scheduled__2026-11-23T00:00:00+00:00"))
    .unwrap();
    fetch_run_input(&hook, &opts(Duration::from_secs(10)))
        .await
        .unwrap();

    let reqs = srv.requests();
    assert_eq!(reqs.len(), 2);
    // The path segments arrive decoded, exactly as given.
    assert_eq!(
        (reqs[0].project.as_str(), reqs[0].job.as_str()),
        ("proj-1", "job a")
    );
    assert_eq!(reqs[0].content_type, "application/json");
    assert_eq!(
        reqs[0].body,
        json!({"scheduled_at": "2026-11-23T00:00:00Z", "instance_name": "bq2bq", "instance_type": "TYPE_TASK"})
    );
    assert_eq!(
        reqs[1].body,
        json!({"scheduled_at": "2026-11-23T00:00:00Z", "instance_name": "transporter",
               "instance_type": "TYPE_HOOK", "jobrun_id": "8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6f",
               "dag_run_id": "scheduled__2026-11-23T00:00:00+00:00"})
    );
}

#[tokio::test]
async fn waits_for_a_server_that_is_not_listening_yet() {
    let addr = free_port();
    let starter = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        RunInputServer::start_on(addr, reply())
    });
    let (input, stats) =
        fetch_run_input(&request(&addr.to_string()), &opts(Duration::from_secs(20)))
            .await
            .unwrap();
    assert!(
        stats.attempts >= 2,
        "connection refused at first: {stats:?}"
    );
    assert_eq!(input.files.len(), 2);
    let srv = starter.await.unwrap();
    assert_eq!(srv.requests().len(), 1, "refused attempts never reached it");
}

#[tokio::test]
async fn honours_retry_after_on_503() {
    let srv = RunInputServer::start(reply());
    for _ in 0..2 {
        srv.push_fault(Fault::Status {
            status: 503,
            retry_after: Some("1".into()),
            body: "overloaded".into(),
        });
    }
    let mut o = opts(Duration::from_secs(20));
    o.base_delay = Duration::from_millis(1);
    o.max_delay = Duration::from_secs(5);
    let t = Instant::now();
    let (_, stats) = fetch_run_input(&request(&srv.host()), &o).await.unwrap();
    assert_eq!(stats.attempts, 3);
    // Jitter alone would wait at most 1 ms + 2 ms here; Retry-After: 1 twice
    // is what makes it two seconds.
    assert!(
        t.elapsed() >= Duration::from_millis(1900),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(srv.requests().len(), 3);
}

#[tokio::test]
async fn retries_429_408_and_502_without_retry_after() {
    let srv = RunInputServer::start(reply());
    for status in [429, 408, 502] {
        srv.push_fault(Fault::Status {
            status,
            retry_after: None,
            body: String::new(),
        });
    }
    let (_, stats) = fetch_run_input(&request(&srv.host()), &opts(Duration::from_secs(20)))
        .await
        .unwrap();
    assert_eq!(stats.attempts, 4);
}

#[tokio::test]
async fn retries_a_reply_reset_mid_body() {
    let srv = RunInputServer::start(reply());
    srv.push_fault(Fault::ResetMidBody);
    let (input, stats) = fetch_run_input(&request(&srv.host()), &opts(Duration::from_secs(20)))
        .await
        .unwrap();
    assert_eq!(stats.attempts, 2);
    assert_eq!(input.envs.len(), 2);
}

#[tokio::test]
async fn a_reply_slower_than_the_deadline_gives_up_at_the_deadline() {
    let srv = RunInputServer::start(reply());
    srv.push_fault(Fault::Slow(Duration::from_secs(30)));
    let t = Instant::now();
    let err = fetch_run_input(&request(&srv.host()), &opts(Duration::from_secs(1)))
        .await
        .unwrap_err();
    let elapsed = t.elapsed();
    assert!(
        matches!(err, BootError::GaveUp { attempts: 1, .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("no complete reply within"), "{msg}");
    assert!(msg.contains("deadline 1s"), "{msg}");
    // Bounded by the deadline, not by the server's 30 s.
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

/// A server whose first answer is a 503 asking for 30 s, and options
/// whose 3 s deadline cannot wait that long.
fn unavailable_for_longer_than_the_deadline() -> (RunInputServer, task_boot::FetchOptions) {
    let srv = RunInputServer::start(reply());
    srv.push_fault(Fault::Status {
        status: 503,
        retry_after: Some("30".into()),
        body: "{\"code\":14,\"message\":\"unavailable\"}".into(),
    });
    let mut o = opts(Duration::from_secs(3));
    o.max_delay = Duration::from_mins(1);
    (srv, o)
}

#[tokio::test]
async fn no_sleep_after_the_last_attempt() {
    let (srv, o) = unavailable_for_longer_than_the_deadline();
    let t = Instant::now();
    let err = fetch_run_input(&request(&srv.host()), &o)
        .await
        .unwrap_err();
    // Waiting 30 s would pass the 3 s deadline: it stops at once.
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(err.to_string().contains("HTTP 503: unavailable"), "{err}");
    assert_eq!(srv.requests().len(), 1);
}

#[tokio::test]
async fn client_errors_fail_at_once_with_the_servers_message() {
    for (status, body, want) in [
        (
            400,
            r#"{"code":3,"message":"invalid scheduled_at for job a","details":[]}"#,
            "invalid scheduled_at for job a",
        ),
        (
            404,
            r#"{"code":5,"message":"job a not found in project proj-1","details":[]}"#,
            "job a not found in project proj-1",
        ),
        (403, "forbidden by policy", "forbidden by policy"),
    ] {
        let srv = RunInputServer::start(reply());
        srv.push_fault(Fault::Status {
            status,
            retry_after: None,
            body: body.into(),
        });
        let err = fetch_run_input(&request(&srv.host()), &opts(Duration::from_secs(10)))
            .await
            .unwrap_err();
        assert!(matches!(err, BootError::Refused { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains(&format!("HTTP {status}: {want}")), "{msg}");
        assert!(
            msg.contains("/api/v1beta1/project/proj-1/job/job%20a/run_input"),
            "{msg}"
        );
        assert!(!err.is_usage());
        assert_eq!(srv.requests().len(), 1, "HTTP {status} is not retried");
    }
}

#[tokio::test]
async fn a_wrong_path_is_a_404_from_the_server() {
    let srv = RunInputServer::start(reply());
    let req = request(&format!("http://{}/not-optimus", srv.host()));
    let err = fetch_run_input(&req, &opts(Duration::from_secs(10)))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("HTTP 404: Not Found"), "{err}");
}

#[tokio::test]
async fn a_reply_that_is_not_the_contract_is_refused_without_echoing_it() {
    let srv = RunInputServer::start(json!({"envs": ["SENTINEL-secret-2"]}));
    let err = fetch_run_input(&request(&srv.host()), &opts(Duration::from_secs(10)))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("bad reply") && msg.contains("not the run-input JSON"),
        "{msg}"
    );
    assert!(!msg.contains("SENTINEL"), "{msg}");
    assert_eq!(srv.requests().len(), 1);
}

#[tokio::test]
async fn an_oversized_reply_is_refused() {
    let big = "x".repeat(100_000);
    let srv = RunInputServer::start(json!({"files": {"big": big}}));
    let mut o = opts(Duration::from_secs(10));
    o.max_reply_bytes = 10_000;
    let err = fetch_run_input(&request(&srv.host()), &o)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("over 10000 bytes"), "{err}");
}

#[tokio::test]
async fn nothing_listening_gives_up_naming_the_cause() {
    let addr = free_port();
    let err = fetch_run_input(
        &request(&addr.to_string()),
        &opts(Duration::from_millis(800)),
    )
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, BootError::GaveUp { .. }), "{msg}");
    assert!(msg.to_lowercase().contains("connect"), "{msg}");
}

#[tokio::test]
async fn the_last_failure_is_typed() {
    let (srv, o) = unavailable_for_longer_than_the_deadline();
    let err = fetch_run_input(&request(&srv.host()), &o)
        .await
        .unwrap_err();
    let BootError::GaveUp { last, attempts, .. } = &err else {
        panic!("not GaveUp: {err}");
    };
    assert_eq!(*attempts, 1);
    assert!(
        matches!(
            last,
            task_boot::AttemptError::Status { status: 503, retry_after: Some(d), .. }
                if *d == Duration::from_secs(30)
        ),
        "{last:?}"
    );
    // The typed cause is the error's source, for callers that walk the chain.
    let source = std::error::Error::source(&err).expect("a source");
    assert_eq!(source.to_string(), "HTTP 503: unavailable");
}

//! The gRPC client against a local tonic server standing in for each fork.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use task_boot::{
    BootError, FetchOptions, GrpcPackage, InstanceType, Protocol, RunRequest, fetch_run_input,
};
use tonic::Code;

use crate::grpc_server::{GOTO, GrpcFault, GrpcServer, ODPF, RAYSTACK, Reply, test_ca};
use testkit::free_port;
use testkit::tcp::{Fault, FaultProxy};

fn reply() -> Reply {
    Reply::new(
        &[("PROJECT", "proj-1"), ("DSTART", "2026-11-22T10:00:00Z")],
        &[("query.sql", "select 1"), ("sub/config.json", "{}")],
        &[("TOKEN", "SENTINEL-grpc-secret")],
    )
}

fn grpc_opts(deadline: Duration) -> FetchOptions {
    let mut o = crate::opts(deadline);
    o.protocol = Protocol::Grpc;
    o
}

/// The request upstream's DAG makes: SCHEDULED_AT with a `+00:00` offset and
/// Airflow's run id.
fn dag_request(host: &str) -> RunRequest {
    RunRequest::new(
        host,
        "proj-1",
        "job-a",
        "2026-11-22T10:00:00+00:00",
        InstanceType::Task,
        "bq2bq",
    )
    .unwrap()
    .with_dag_run_id(Some("scheduled__2026-11-22T10:00:00+00:00"))
    .unwrap()
}

#[tokio::test]
async fn the_request_carries_every_field_with_its_number() {
    let srv = GrpcServer::start(&[GOTO], reply()).await;
    let (input, stats) = fetch_run_input(
        &dag_request(&srv.host()),
        &grpc_opts(Duration::from_secs(10)),
    )
    .await
    .unwrap();
    assert_eq!(stats.attempts, 1);
    assert!(stats.target.contains(GOTO), "{}", stats.target);
    assert_eq!(input.envs["PROJECT"], "proj-1");
    assert_eq!(input.files["sub/config.json"], "{}");
    assert_eq!(input.secrets.keys().collect::<Vec<_>>(), ["TOKEN"]);

    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0].request;
    assert_eq!(reqs[0].service, GOTO);
    assert_eq!(
        (r.project_name.as_str(), r.job_name.as_str()),
        ("proj-1", "job-a")
    );
    let ts = r.scheduled_at.clone().unwrap();
    assert_eq!((ts.seconds, ts.nanos), (1_795_341_600, 0));
    assert_eq!((r.instance_name.as_str(), r.instance_type), ("bq2bq", 1));
    assert_eq!(r.jobrun_id, "", "DAG_RUN_ID is not a job run id");
    assert_eq!(r.dag_run_id, "scheduled__2026-11-22T10:00:00+00:00");
    // The time left goes to the server as the call's deadline.
    assert!(reqs[0].timeout.is_some());
}

#[tokio::test]
async fn run_id_combinations() {
    let srv = GrpcServer::start(&[GOTO], reply()).await;
    let uuid = "8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6f";
    let base = || {
        RunRequest::new(
            &srv.host(),
            "p",
            "j",
            "2026-11-22T10:00:00Z",
            InstanceType::Hook,
            "transporter",
        )
        .unwrap()
    };
    let cases = [
        (None, None, "", ""),
        (Some(uuid), None, uuid, ""),
        (
            None,
            Some("manual__2026-11-22T10:05:00+00:00"),
            "",
            "manual__2026-11-22T10:05:00+00:00",
        ),
        (Some(uuid), Some("scheduled__x"), uuid, "scheduled__x"),
        (Some(""), Some(""), "", ""),
    ];
    for (jobrun, dag, want_jobrun, want_dag) in cases {
        let req = base()
            .with_jobrun_id(jobrun)
            .unwrap()
            .with_dag_run_id(dag)
            .unwrap();
        fetch_run_input(&req, &grpc_opts(Duration::from_secs(10)))
            .await
            .unwrap();
        let last = srv.requests().pop().unwrap().request;
        assert_eq!(
            (last.jobrun_id.as_str(), last.dag_run_id.as_str()),
            (want_jobrun, want_dag)
        );
        assert_eq!(last.instance_type, 2);
    }
}

#[tokio::test]
async fn each_fork_is_found_and_remembered_for_retries() {
    for (served, want) in [(GOTO, GOTO), (RAYSTACK, RAYSTACK), (ODPF, ODPF)] {
        let srv = GrpcServer::start(&[served], reply()).await;
        // The first answer of the fork's service is a transient one: the
        // retry goes straight to it, not through the other packages again.
        srv.push_fault(GrpcFault::Status(Code::Unavailable, "warming up".into()));
        let (input, stats) = fetch_run_input(
            &dag_request(&srv.host()),
            &grpc_opts(Duration::from_secs(10)),
        )
        .await
        .unwrap();
        assert_eq!(input.files.len(), 2);
        assert_eq!(stats.attempts, 2);
        assert!(stats.target.contains(want), "{}", stats.target);
        let services: Vec<_> = srv.requests().iter().map(|r| r.service).collect();
        assert_eq!(services, [want, want], "{served}");
    }
}

#[tokio::test]
async fn a_pinned_package_is_the_only_one_called() {
    let srv = GrpcServer::start(&[GOTO, RAYSTACK], reply()).await;
    let mut o = grpc_opts(Duration::from_secs(10));
    o.grpc_package = Some(GrpcPackage::Raystack);
    let (_, stats) = fetch_run_input(&dag_request(&srv.host()), &o)
        .await
        .unwrap();
    assert!(stats.target.contains(RAYSTACK));
    assert_eq!(srv.requests()[0].service, RAYSTACK);

    let only_goto = GrpcServer::start(&[GOTO], reply()).await;
    o.grpc_package = Some(GrpcPackage::Odpf);
    let err = fetch_run_input(&dag_request(&only_goto.host()), &o)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("answered UNIMPLEMENTED"), "{msg}");
    assert!(msg.contains("package odpf here"), "{msg}");
    assert!(only_goto.requests().is_empty());
}

#[tokio::test]
async fn no_fork_served_fails_at_once_naming_them_all() {
    let srv = GrpcServer::start(&[], reply()).await;
    let t = Instant::now();
    let err = fetch_run_input(
        &dag_request(&srv.host()),
        &grpc_opts(Duration::from_secs(20)),
    )
    .await
    .unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(5));
    let msg = err.to_string();
    assert!(matches!(err, BootError::Refused { .. }), "{msg}");
    assert!(
        msg.contains("UNIMPLEMENTED") && msg.contains("gotocompany, raystack, odpf"),
        "{msg}"
    );
    assert!(msg.contains("--protocol rest"), "{msg}");
}

#[tokio::test]
async fn retried_statuses_are_retried_under_the_deadline() {
    let srv = GrpcServer::start(&[GOTO], reply()).await;
    for code in [
        Code::Unavailable,
        Code::DeadlineExceeded,
        Code::ResourceExhausted,
        Code::Aborted,
        Code::Internal,
        Code::Unknown,
    ] {
        srv.push_fault(GrpcFault::Status(code, format!("transient {code:?}")));
    }
    let (input, stats) = fetch_run_input(
        &dag_request(&srv.host()),
        &grpc_opts(Duration::from_secs(20)),
    )
    .await
    .unwrap();
    assert_eq!(stats.attempts, 7);
    assert_eq!(input.envs.len(), 2);
    assert_eq!(srv.requests().len(), 7);
}

#[tokio::test]
async fn final_statuses_fail_at_once_with_the_servers_text() {
    for (code, name) in [
        (Code::InvalidArgument, "INVALID_ARGUMENT"),
        (Code::NotFound, "NOT_FOUND"),
        (Code::PermissionDenied, "PERMISSION_DENIED"),
        (Code::Unauthenticated, "UNAUTHENTICATED"),
        (Code::FailedPrecondition, "FAILED_PRECONDITION"),
    ] {
        let srv = GrpcServer::start(&[GOTO], reply()).await;
        srv.push_fault(GrpcFault::Status(
            code,
            "invalid argument for entity jobRun: job job-a not found\nin proj-1".into(),
        ));
        let err = fetch_run_input(
            &dag_request(&srv.host()),
            &grpc_opts(Duration::from_secs(20)),
        )
        .await
        .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, BootError::Refused { .. }), "{msg}");
        assert!(!err.is_usage());
        assert!(msg.contains(&format!("answered {name}: ")), "{msg}");
        // The server's text, control characters escaped.
        assert!(msg.contains("job job-a not found\\nin proj-1"), "{msg}");
        assert!(msg.contains(GOTO), "{msg}");
        assert_eq!(srv.requests().len(), 1, "{name} is not retried");
    }
}

#[tokio::test]
async fn a_late_server_gives_up_at_the_deadline() {
    let srv = GrpcServer::start(&[GOTO], reply()).await;
    srv.push_fault(GrpcFault::Slow(Duration::from_secs(30)));
    let t = Instant::now();
    let err = fetch_run_input(
        &dag_request(&srv.host()),
        &grpc_opts(Duration::from_secs(1)),
    )
    .await
    .unwrap_err();
    let elapsed = t.elapsed();
    let msg = err.to_string();
    assert!(matches!(err, BootError::GaveUp { .. }), "{msg}");
    assert!(msg.contains("deadline 1s"), "{msg}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
}

#[tokio::test]
async fn a_closed_port_gives_up_naming_the_cause() {
    let addr = free_port();
    let t = Instant::now();
    let err = fetch_run_input(
        &dag_request(&addr.to_string()),
        &grpc_opts(Duration::from_millis(800)),
    )
    .await
    .unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(4));
    let msg = err.to_string();
    assert!(matches!(err, BootError::GaveUp { .. }), "{msg}");
    assert!(msg.to_lowercase().contains("connect"), "{msg}");
}

#[tokio::test]
async fn waits_for_a_server_that_is_not_listening_yet() {
    let addr = free_port();
    let starter = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        GrpcServer::start_with(&[GOTO], reply(), addr, None).await
    });
    let (_, stats) = fetch_run_input(
        &dag_request(&addr.to_string()),
        &grpc_opts(Duration::from_secs(20)),
    )
    .await
    .unwrap();
    assert!(stats.attempts >= 2, "{stats:?}");
    assert_eq!(starter.await.unwrap().requests().len(), 1);
}

#[tokio::test]
async fn connections_reset_while_the_server_starts_are_retried() {
    let srv = GrpcServer::start(&[GOTO], reply()).await;
    // Two connections closed after the client's first bytes, then through.
    let front = FaultProxy::start(srv.addr, vec![Fault::Close; 2]);
    let (input, stats) = fetch_run_input(
        &dag_request(&front.endpoint()),
        &grpc_opts(Duration::from_secs(20)),
    )
    .await
    .unwrap();
    assert_eq!(front.faulted(), 2);
    assert!(stats.attempts >= 3, "{stats:?}");
    assert_eq!(input.files.len(), 2);
}

#[tokio::test]
async fn a_reply_over_the_limit_is_refused_by_its_size_before_it_is_read() {
    let srv = GrpcServer::start(&[GOTO], reply()).await;
    srv.push_fault(GrpcFault::Announce(100 << 20));
    let mut o = grpc_opts(Duration::from_secs(20));
    o.max_reply_bytes = task_boot::Limits {
        max_files: 10,
        max_bytes: 10 << 20,
    }
    .max_reply_bytes();
    let err = fetch_run_input(&dag_request(&srv.host()), &o)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, BootError::BadReply { .. }), "{msg}");
    assert!(
        msg.contains(&format!("the reply is {} bytes, over the limit", 100 << 20)),
        "{msg}"
    );
    assert_eq!(srv.requests().len(), 1, "not retried");
    // Of the 100 MiB announced, the client took in no more than the HTTP/2
    // windows let through before it refused.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pulled = srv.shared.pulled.load(Ordering::SeqCst);
    assert!(pulled < 16 << 20, "{pulled} bytes were read");
}

#[tokio::test]
async fn replies_over_tonics_default_4_mib_are_taken() {
    let big = "y".repeat(6 << 20);
    let srv = GrpcServer::start(&[GOTO], Reply::new(&[], &[("big.sql", &big)], &[])).await;
    let (input, stats) = fetch_run_input(
        &dag_request(&srv.host()),
        &grpc_opts(Duration::from_secs(20)),
    )
    .await
    .unwrap();
    assert_eq!(input.files["big.sql"].len(), 6 << 20);
    assert!(stats.reply_bytes > 6 << 20);
}

#[tokio::test]
async fn tls_with_a_ca_file() {
    let (srv, ca) = GrpcServer::start_tls(&[GOTO], reply()).await;
    let host = format!("https://localhost:{}", srv.addr.port());
    let mut o = grpc_opts(Duration::from_secs(10));
    o.ca_pem = Some(ca.into_bytes());
    let (input, stats) = fetch_run_input(&dag_request(&host), &o).await.unwrap();
    assert_eq!(input.files.len(), 2);
    assert!(
        stats.target.starts_with("https://localhost:"),
        "{}",
        stats.target
    );

    // Another CA: the handshake fails at once, not retried to the deadline.
    let (other_ca, _, _) = test_ca();
    o.ca_pem = Some(other_ca.into_bytes());
    o.deadline = Duration::from_secs(20);
    let t = Instant::now();
    let err = fetch_run_input(&dag_request(&host), &o).await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    let msg = err.to_string();
    assert!(matches!(err, BootError::Tls { .. }), "{msg}");
    assert!(msg.to_lowercase().contains("certificate"), "{msg}");
    assert_eq!(srv.requests().len(), 1);
}

#[tokio::test]
async fn a_plaintext_client_is_told_about_a_tls_port_by_the_deadline() {
    let (srv, _ca) = GrpcServer::start_tls(&[GOTO], reply()).await;
    let err = fetch_run_input(
        &dag_request(&srv.host()),
        &grpc_opts(Duration::from_millis(800)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, BootError::GaveUp { .. }), "{err}");
}

#[tokio::test]
async fn a_host_with_a_path_is_a_usage_error_for_grpc() {
    let srv = GrpcServer::start(&[GOTO], reply()).await;
    let err = fetch_run_input(
        &dag_request(&format!("http://{}/optimus", srv.host())),
        &grpc_opts(Duration::from_secs(5)),
    )
    .await
    .unwrap_err();
    assert!(err.is_usage(), "{err}");
    assert!(err.to_string().contains("--protocol rest"), "{err}");
    assert!(srv.requests().is_empty());
}

#[tokio::test]
async fn secrets_stay_out_of_debug_and_errors() {
    let srv = GrpcServer::start(&[GOTO], reply()).await;
    let (input, stats) = fetch_run_input(
        &dag_request(&srv.host()),
        &grpc_opts(Duration::from_secs(10)),
    )
    .await
    .unwrap();
    let shown = format!("{input:?} {stats:?}");
    assert!(!shown.contains("SENTINEL"), "{shown}");
}

//! Providers built from one context share an HTTP client, so a config with
//! many upstream-style source URLs on one host reuses one connection (and
//! parses the root certificates once).

#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::common::{FaultProxy, drain, test_ctx};
use plugin_repo::Source;

#[tokio::test]
async fn sources_from_one_context_share_a_connection() {
    let app = axum::Router::new().route(
        "/{name}",
        axum::routing::get(|| async { crate::common::pattern(0, 1024) }),
    );
    let server = testkit::http::Server::start(app);
    // A proxy with no faults, only to count TCP connections.
    let proxy = FaultProxy::start(server.addr(), Vec::new());

    let dir = tempfile::tempdir().unwrap();
    let ctx = test_ctx(dir.path());
    for i in 0..5 {
        let raw = format!("http://{}/p{i}.tar.gz", proxy.endpoint());
        let source = Source::parse(&raw, dir.path()).unwrap();
        let provider = source.provider(&ctx).unwrap();
        let (len, _) = drain(provider.as_ref(), source.path()).await.unwrap();
        assert_eq!(len, 1024);
    }
    assert_eq!(
        proxy.connections(),
        1,
        "five sources, one kept-alive connection"
    );
}

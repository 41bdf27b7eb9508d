//! An S3 server in process: s3s over s3s-fs, on a temporary folder.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::IntoResponse as _;

use crate::http::{Seen, Server};

/// The one access key id every [`S3`] accepts.
pub const ACCESS_KEY_ID: &str = "AKIDTEST";
/// The bucket every [`S3`] has.
pub const BUCKET: &str = "bucket";
/// The region to configure clients with (s3s does not check it).
pub const REGION: &str = "us-east-1";

/// s3s-fs on 127.0.0.1 with the bucket [`BUCKET`], signing checked against
/// [`ACCESS_KEY_ID`] and the secret given to [`S3::start`]. Objects are
/// plain files below [`S3::root`]`/bucket/`, so a test writes (or
/// rewrites) them with `std::fs`, or with [`S3::put`].
///
/// Clients under test get the endpoint and the credentials explicitly
/// ([`S3::env`] for the standard `AWS_*` variables), so nothing falls back
/// to a real AWS endpoint or the instance metadata address.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let s3 = testkit::s3::S3::start("test-secret");
/// s3.put("plugins/a.tar.gz", b"bytes");
/// assert!(s3.root().join("bucket/plugins/a.tar.gz").is_file());
/// // Unsigned requests are refused.
/// let url = format!("{}/bucket/plugins/a.tar.gz", s3.endpoint());
/// assert_eq!(testkit::http::client().get(&url).send().await.unwrap().status(), 403);
/// assert_eq!(s3.requests().len(), 1);
/// # }
/// ```
pub struct S3 {
    root: tempfile::TempDir,
    secret: String,
    server: Server,
}

impl S3 {
    /// Starts on a free port of 127.0.0.1 with a fresh, empty bucket.
    pub fn start(secret: &str) -> Self {
        let root = tempfile::tempdir().expect("temporary folder");
        std::fs::create_dir_all(root.path().join(BUCKET)).expect("bucket folder");
        let fs = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs");
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY_ID, secret));
        let service = builder.build();
        let app = Router::new().fallback(move |req: Request| {
            let service = service.clone();
            async move {
                match service.call(req.map(s3s::Body::http_body_unsync)).await {
                    Ok(resp) => resp.map(Body::new),
                    Err(e) => {
                        (StatusCode::INTERNAL_SERVER_ERROR, format!("s3s: {e:?}")).into_response()
                    }
                }
            }
        });
        Self {
            root,
            secret: secret.to_owned(),
            server: Server::start(app),
        }
    }

    /// `http://127.0.0.1:port`.
    pub fn endpoint(&self) -> String {
        self.server.url()
    }

    /// The address it listens on (for a [`FaultProxy`](crate::tcp::FaultProxy)).
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The folder holding the buckets.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// The file of object `key` in [`BUCKET`].
    pub fn object(&self, key: &str) -> PathBuf {
        self.root.path().join(BUCKET).join(key)
    }

    /// Writes object `key` of [`BUCKET`].
    pub fn put(&self, key: &str, data: impl AsRef<[u8]>) {
        let file = self.object(key);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).expect("object folder");
        }
        std::fs::write(file, data).expect("object file");
    }

    /// The standard variables pointing an S3 client here with the right
    /// secret:
    /// `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
    /// `AWS_REGION`.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", self.secret.clone()),
            ("AWS_REGION", REGION.to_owned()),
        ]
    }

    /// Every request received (see [`Server::requests`]).
    pub fn requests(&self) -> Vec<Seen> {
        self.server.requests()
    }
}

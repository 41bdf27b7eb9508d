//! Artifacts over HTTP, as web servers and object stores hand them out.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt as _;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

use super::{Seen, Server};

/// A file server on 127.0.0.1: files put in memory and, for
/// [`FileServer::folder`], the files below a folder (streamed, so they can
/// be hundreds of MiB).
///
/// Every answer carries `ETag` (a content hash for files in memory, size and
/// mtime for files on disk), `Last-Modified` and `Accept-Ranges`; HEAD,
/// `Range: bytes=N-` (206) and `If-Match` (412 on another ETag) work. A path
/// with a `..` segment is a 400, a missing file a 404. What a test can turn
/// on: a bearer token ([`require_bearer`](Self::require_bearer)), a
/// redirect of everything ([`redirect_to`](Self::redirect_to)), a death
/// mid-body ([`die_during`](Self::die_during)).
///
/// # Examples
///
/// ```
/// use testkit::http::FileServer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let server = FileServer::start();
/// server.put("a/b.tar.gz", b"0123456789".to_vec());
/// let client = testkit::http::client();
/// let url = format!("{}/a/b.tar.gz", server.url());
/// let resp = client.get(&url).header("range", "bytes=4-").send().await.unwrap();
/// assert_eq!(resp.status(), 206);
/// assert_eq!(resp.text().await.unwrap(), "456789");
///
/// server.require_bearer(Some("s3cret"));
/// assert_eq!(client.get(&url).send().await.unwrap().status(), 401);
/// assert_eq!(client.get(&url).bearer_auth("wrong").send().await.unwrap().status(), 403);
/// assert_eq!(client.get(&url).bearer_auth("s3cret").send().await.unwrap().status(), 200);
/// assert_eq!(server.gets(), 2, "bodies served");
/// assert_eq!(server.requests().len(), 4, "requests received");
/// # }
/// ```
pub struct FileServer {
    files: Arc<Files>,
    server: Server,
}

#[derive(Default)]
struct Files {
    root: Option<PathBuf>,
    memory: Mutex<HashMap<String, (Bytes, SystemTime)>>,
    bearer: Mutex<Option<String>>,
    redirect: Mutex<Option<String>>,
    die_during: Mutex<HashSet<String>>,
    down: AtomicBool,
    gets: AtomicUsize,
    heads: AtomicUsize,
}

impl FileServer {
    /// A server of the files [`put`](Self::put) into it.
    pub fn start() -> Self {
        Self::serve(Files::default())
    }

    /// A server of the files below `root` as well (`GET /x/y` reads
    /// `root/x/y`), written there by the test whenever it likes.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("big.bin"), vec![7u8; 1 << 20]).unwrap();
    /// let server = testkit::http::FileServer::folder(dir.path());
    /// let resp = testkit::http::client().head(format!("{}/big.bin", server.url())).send().await.unwrap();
    /// assert_eq!(resp.headers()["content-length"], "1048576");
    /// assert!(resp.headers().contains_key("etag"));
    /// assert_eq!(server.heads(), 1);
    /// # }
    /// ```
    pub fn folder(root: impl Into<PathBuf>) -> Self {
        Self::serve(Files {
            root: Some(root.into()),
            ..Files::default()
        })
    }

    fn serve(files: Files) -> Self {
        let files = Arc::new(files);
        let app = Router::new().fallback(answer).with_state(files.clone());
        Self {
            files,
            server: Server::start(app),
        }
    }

    /// Stores (or replaces) the file at `path` (no leading `/`), in memory.
    pub fn put(&self, path: &str, data: impl Into<Bytes>) {
        self.files
            .memory
            .lock()
            .expect("files")
            .insert(path.to_owned(), (data.into(), SystemTime::now()));
    }

    /// From now on, requests without `Authorization: Bearer <token>` are
    /// refused: 401 without the header, 403 with another value. `None`
    /// opens the server again.
    pub fn require_bearer(&self, token: Option<&str>) {
        *self.files.bearer.lock().expect("token") = token.map(str::to_owned);
    }

    /// From now on, every request is answered `302 Found` to
    /// `{base}/{path}` (`base` without a trailing slash).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let target = testkit::http::FileServer::start();
    /// target.put("x", "moved here");
    /// let front = testkit::http::FileServer::start();
    /// front.redirect_to(&target.url());
    /// let body = testkit::http::client().get(format!("{}/x", front.url())).send().await.unwrap().text().await.unwrap();
    /// assert_eq!(body, "moved here");
    /// # }
    /// ```
    pub fn redirect_to(&self, base: &str) {
        *self.files.redirect.lock().expect("redirect") = Some(base.to_owned());
    }

    /// The next GET of `path` sends half its body (with the full
    /// `Content-Length`) and then drops the connection; from then on the
    /// server answers every request `503`: a server dying mid-download.
    pub fn die_during(&self, path: &str) {
        self.files
            .die_during
            .lock()
            .expect("faults")
            .insert(path.to_owned());
    }

    /// GETs answered with a file's body (200 or 206), so far.
    pub fn gets(&self) -> usize {
        self.files.gets.load(Ordering::SeqCst)
    }

    /// HEADs answered for an existing file, so far.
    pub fn heads(&self) -> usize {
        self.files.heads.load(Ordering::SeqCst)
    }

    /// See [`Server::addr`].
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// See [`Server::host`].
    pub fn host(&self) -> String {
        self.server.host()
    }

    /// See [`Server::url`].
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Every request received, whatever the answer (see [`Server::requests`]).
    pub fn requests(&self) -> Vec<Seen> {
        self.server.requests()
    }
}

fn status(code: StatusCode, text: &'static str) -> Response {
    let mut resp = Response::new(Body::from(text));
    *resp.status_mut() = code;
    resp
}

/// Where a file's bytes come from.
enum Content {
    Memory(Bytes),
    Disk(PathBuf),
}

/// The file at `path`: its content, size, ETag and mtime.
async fn find(files: &Files, path: &str) -> Option<(Content, u64, String, SystemTime)> {
    let stored = files.memory.lock().expect("files").get(path).cloned();
    if let Some((data, modified)) = stored {
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&data))[..16]);
        let len = data.len() as u64;
        return Some((Content::Memory(data), len, etag, modified));
    }
    let file = files.root.as_ref()?.join(path);
    let md = tokio::fs::metadata(&file).await.ok()?;
    if !md.is_file() {
        return None;
    }
    let modified = md.modified().ok()?;
    let nanos = modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let etag = format!("\"{:x}-{nanos:x}\"", md.len());
    Some((Content::Disk(file), md.len(), etag, modified))
}

/// `Range: bytes=N-` (the only form the clients under test send).
fn range_start(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::RANGE)?
        .to_str()
        .ok()?
        .strip_prefix("bytes=")?
        .strip_suffix('-')?
        .parse()
        .ok()
}

async fn answer(State(files): State<Arc<Files>>, req: Request) -> Response {
    if files.down.load(Ordering::SeqCst) {
        return status(StatusCode::SERVICE_UNAVAILABLE, "down");
    }
    let path = percent_encoding::percent_decode_str(req.uri().path().trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    let redirect = files.redirect.lock().expect("redirect").clone();
    if let Some(base) = redirect {
        let mut resp = status(StatusCode::FOUND, "");
        if let Ok(to) = HeaderValue::from_str(&format!("{base}/{path}")) {
            resp.headers_mut().insert(header::LOCATION, to);
        }
        return resp;
    }
    let bearer = files.bearer.lock().expect("token").clone();
    if let Some(token) = bearer {
        let auth = req.headers().get(header::AUTHORIZATION);
        if auth.is_none() {
            return status(StatusCode::UNAUTHORIZED, "no credentials");
        }
        if auth.and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {token}")) {
            return status(StatusCode::FORBIDDEN, "wrong credentials");
        }
    }
    if path.split('/').any(|p| p == "..") {
        return status(StatusCode::BAD_REQUEST, "`..` in path");
    }
    let Some((content, len, etag, modified)) = find(&files, &path).await else {
        return status(StatusCode::NOT_FOUND, "missing");
    };
    if let Some(wanted) = req.headers().get(header::IF_MATCH)
        && wanted.to_str().ok() != Some(etag.as_str())
    {
        return status(StatusCode::PRECONDITION_FAILED, "another ETag");
    }
    let start = range_start(req.headers());
    let from = start.unwrap_or(0).min(len);
    let mut resp = Response::new(Body::empty());
    let headers = resp.headers_mut();
    headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("etag"));
    headers.insert(
        header::LAST_MODIFIED,
        HeaderValue::from_str(&httpdate::fmt_http_date(modified)).expect("date"),
    );
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len - from));
    if start.is_some() {
        let range = format!("bytes {from}-{}/{len}", len.saturating_sub(1));
        headers.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&range).expect("range"),
        );
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    if req.method() == Method::HEAD {
        files.heads.fetch_add(1, Ordering::SeqCst);
        return resp;
    }
    files.gets.fetch_add(1, Ordering::SeqCst);
    let dies = files.die_during.lock().expect("faults").remove(&path);
    if dies {
        files.down.store(true, Ordering::SeqCst);
    }
    // Half the body when the server dies during it, then an error: hyper
    // drops the connection.
    let send = if dies { (len - from) / 2 } else { len - from };
    let body = match content {
        Content::Memory(data) => {
            let part = data
                .slice(usize::try_from(from).unwrap_or(usize::MAX)..)
                .slice(..usize::try_from(send).unwrap_or(usize::MAX));
            futures::stream::iter([Ok::<_, std::io::Error>(part)]).boxed()
        }
        Content::Disk(file) => {
            let Ok(mut f) = tokio::fs::File::open(&file).await else {
                return status(StatusCode::NOT_FOUND, "missing");
            };
            if f.seek(std::io::SeekFrom::Start(from)).await.is_err() {
                return status(StatusCode::INTERNAL_SERVER_ERROR, "seek");
            }
            tokio_util::io::ReaderStream::with_capacity(f.take(send), 64 << 10).boxed()
        }
    };
    let body = if dies {
        body.chain(futures::stream::iter([Err(std::io::Error::other(
            "the test server died",
        ))]))
        .boxed()
    } else {
        body
    };
    *resp.body_mut() = Body::from_stream(body);
    resp
}

//! The settings of one run-input request, checked.

use std::fmt;

use crate::BootError;

/// What the pod runs: the job's task or one of its hooks.
///
/// ```
/// use task_boot::InstanceType;
/// assert_eq!(InstanceType::parse("hook")?, InstanceType::Hook);
/// assert_eq!(InstanceType::Hook.to_string(), "hook");
/// # Ok::<(), task_boot::BootError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceType {
    /// The job's transformation (`task`).
    Task,
    /// A hook of the job (`hook`).
    Hook,
}

impl InstanceType {
    /// Parses `task` or `hook` (any case; `TYPE_TASK`/`TYPE_HOOK` too).
    ///
    /// ```
    /// use task_boot::InstanceType;
    /// assert_eq!(InstanceType::parse("task").unwrap(), InstanceType::Task);
    /// assert_eq!(InstanceType::parse("TYPE_HOOK").unwrap(), InstanceType::Hook);
    /// assert!(InstanceType::parse("job").is_err());
    /// ```
    pub fn parse(raw: &str) -> Result<Self, BootError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "task" | "type_task" => Ok(Self::Task),
            "hook" | "type_hook" => Ok(Self::Hook),
            _ => Err(BootError::Setting {
                name: "INSTANCE_TYPE",
                message: format!("{raw:?} is not one of: task, hook"),
            }),
        }
    }

    /// The enum string of the API: `TYPE_TASK` or `TYPE_HOOK`.
    ///
    /// ```
    /// assert_eq!(task_boot::InstanceType::Task.api_name(), "TYPE_TASK");
    /// ```
    pub fn api_name(self) -> &'static str {
        match self {
            Self::Task => "TYPE_TASK",
            Self::Hook => "TYPE_HOOK",
        }
    }
}

impl fmt::Display for InstanceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Task => "task",
            Self::Hook => "hook",
        })
    }
}

/// One checked run-input request.
///
/// ```
/// use task_boot::{InstanceType, RunRequest};
/// let r = RunRequest::new("https://optimus:9100", "proj", "job1", "2026-01-02T03:04:05Z",
///                         InstanceType::Hook, "predator")?;
/// assert_eq!(r.project(), "proj");
/// assert_eq!(r.instance_type(), InstanceType::Hook);
/// # Ok::<(), task_boot::BootError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRequest {
    base: url::Url,
    url: url::Url,
    project: String,
    job: String,
    scheduled_at: String,
    scheduled: jiff::Timestamp,
    instance_type: InstanceType,
    instance_name: String,
    jobrun_id: Option<String>,
    dag_run_id: Option<String>,
}

/// The JSON body of `POST .../run_input`.
#[derive(Debug, serde::Serialize)]
pub(crate) struct RequestBody<'a> {
    pub scheduled_at: &'a str,
    pub instance_name: &'a str,
    pub instance_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jobrun_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dag_run_id: Option<&'a str>,
}

impl RunRequest {
    /// Checks every setting; the error names the one at fault.
    ///
    /// `host` is `host:port` (plaintext), `http://host:port` (plaintext) or
    /// `https://host:port` (TLS). For REST a base path after the port is
    /// kept. `scheduled_at` is RFC 3339 and is sent normalised to UTC. The
    /// run ids are added with [`RunRequest::with_jobrun_id`] and
    /// [`RunRequest::with_dag_run_id`].
    ///
    /// ```
    /// use task_boot::{InstanceType, RunRequest};
    /// let r = RunRequest::new("localhost:9100", "p", "j", "2026-01-02T03:04:05+01:00",
    ///                         InstanceType::Task, "bq2bq").unwrap();
    /// assert_eq!(r.url(), "http://localhost:9100/api/v1beta1/project/p/job/j/run_input");
    /// assert_eq!(r.scheduled_at(), "2026-01-02T02:04:05Z");
    /// assert!(RunRequest::new("h", "p", "j", "yesterday", InstanceType::Task, "x").is_err());
    /// ```
    pub fn new(
        host: &str,
        project: &str,
        job: &str,
        scheduled_at: &str,
        instance_type: InstanceType,
        instance_name: &str,
    ) -> Result<Self, BootError> {
        let project = required("PROJECT", project)?;
        let job = required("JOB_NAME", job)?;
        let instance_name = required("INSTANCE_NAME", instance_name)?;
        let (scheduled, scheduled_at) = parse_time(scheduled_at)?;
        let base = parse_host(host)?;
        let url = rest_url(&base, &project, &job)?;
        Ok(Self {
            base,
            url,
            project,
            job,
            scheduled_at,
            scheduled,
            instance_type,
            instance_name,
            jobrun_id: None,
            dag_run_id: None,
        })
    }

    /// Sets `jobrun_id` (field 7; `JOBRUN_ID`): empty or absent means none,
    /// anything else must be a UUID, as the server refuses other values.
    /// The forms Go's `uuid.Parse` takes are accepted and sent as given.
    ///
    /// ```
    /// # use task_boot::{InstanceType, RunRequest};
    /// let r = RunRequest::new("h:1", "p", "j", "2026-01-02T03:04:05Z", InstanceType::Task, "x").unwrap();
    /// assert!(r.clone().with_jobrun_id(Some("8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6f")).is_ok());
    /// let e = r.with_jobrun_id(Some("scheduled__2026-01-02T03:04:05+00:00")).unwrap_err();
    /// assert!(e.is_usage() && e.to_string().contains("JOBRUN_ID"));
    /// ```
    pub fn with_jobrun_id(mut self, id: Option<&str>) -> Result<Self, BootError> {
        self.jobrun_id = match id.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(id) if is_uuid(id) => Some(id.to_owned()),
            Some(id) => {
                return Err(BootError::Setting {
                    name: "JOBRUN_ID",
                    message: format!(
                        "{:?} is not a UUID (such as 8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6f); \
                         Airflow's run id goes in DAG_RUN_ID",
                        shown(id)
                    ),
                });
            }
        };
        Ok(self)
    }

    /// Sets `dag_run_id` (field 8; `DAG_RUN_ID`, Airflow's `run_id` such as
    /// `scheduled__2026-11-22T10:00:00+00:00`); empty or absent means none.
    ///
    /// ```
    /// use task_boot::{InstanceType, RunRequest};
    /// let r = RunRequest::new("https://optimus:9100", "proj", "job1", "2026-01-02T03:04:05Z",
    ///                         InstanceType::Hook, "predator")?;
    /// let r = r.with_dag_run_id(Some("scheduled__2026-01-02T03:04:05+00:00"))?;
    /// assert_eq!(r.dag_run_id(), Some("scheduled__2026-01-02T03:04:05+00:00"));
    /// assert_eq!(r.with_dag_run_id(Some("  "))?.dag_run_id(), None);
    /// # Ok::<(), task_boot::BootError>(())
    /// ```
    pub fn with_dag_run_id(mut self, id: Option<&str>) -> Result<Self, BootError> {
        self.dag_run_id = id
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| check_text("DAG_RUN_ID", s))
            .transpose()?;
        Ok(self)
    }

    /// The REST request URL.
    ///
    /// ```
    /// use task_boot::{InstanceType, RunRequest};
    /// let r = RunRequest::new("https://optimus:9100", "proj", "job1", "2026-01-02T03:04:05Z",
    ///                         InstanceType::Hook, "predator")?;
    /// assert_eq!(r.url(), "https://optimus:9100/api/v1beta1/project/proj/job/job1/run_input");
    /// # Ok::<(), task_boot::BootError>(())
    /// ```
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The server as given, with its scheme (`http://` when none was given).
    ///
    /// ```
    /// use task_boot::{InstanceType, RunRequest};
    /// let r = RunRequest::new("https://optimus:9100", "proj", "job1", "2026-01-02T03:04:05Z",
    ///                         InstanceType::Hook, "predator")?;
    /// assert_eq!(r.host_url().scheme(), "https");
    /// # Ok::<(), task_boot::BootError>(())
    /// ```
    pub fn host_url(&self) -> &url::Url {
        &self.base
    }

    /// The project name.
    ///
    /// ```
    /// use task_boot::{InstanceType, RunRequest};
    /// let r = RunRequest::new("https://optimus:9100", "proj", "job1", "2026-01-02T03:04:05Z",
    ///                         InstanceType::Hook, "predator")?;
    /// assert_eq!(r.project(), "proj");
    /// # Ok::<(), task_boot::BootError>(())
    /// ```
    pub fn project(&self) -> &str {
        &self.project
    }

    /// The job name.
    ///
    /// ```
    /// use task_boot::{InstanceType, RunRequest};
    /// let r = RunRequest::new("https://optimus:9100", "proj", "job1", "2026-01-02T03:04:05Z",
    ///                         InstanceType::Hook, "predator")?;
    /// assert_eq!(r.job(), "job1");
    /// # Ok::<(), task_boot::BootError>(())
    /// ```
    pub fn job(&self) -> &str {
        &self.job
    }

    /// The scheduled time, RFC 3339 in UTC.
    ///
    /// ```
    /// use task_boot::{InstanceType, RunRequest};
    /// let r = RunRequest::new("https://optimus:9100", "proj", "job1", "2026-01-02T03:04:05Z",
    ///                         InstanceType::Hook, "predator")?;
    /// assert_eq!(r.scheduled_at(), "2026-01-02T03:04:05Z");
    /// # Ok::<(), task_boot::BootError>(())
    /// ```
    pub fn scheduled_at(&self) -> &str {
        &self.scheduled_at
    }

    /// The scheduled time.
    ///
    /// ```
    /// use task_boot::{InstanceType, RunRequest};
    /// let r = RunRequest::new("https://optimus:9100", "proj", "job1", "2026-01-02T03:04:05Z",
    ///                         InstanceType::Hook, "predator")?;
    /// assert_eq!(r.scheduled().as_second(), 1_767_323_045);
    /// # Ok::<(), task_boot::BootError>(())
    /// ```
    pub fn scheduled(&self) -> jiff::Timestamp {
        self.scheduled
    }

    /// Task or hook.
    ///
    /// ```
    /// use task_boot::{InstanceType, RunRequest};
    /// let r = RunRequest::new("https://optimus:9100", "proj", "job1", "2026-01-02T03:04:05Z",
    ///                         InstanceType::Hook, "predator")?;
    /// assert_eq!(r.instance_type(), InstanceType::Hook);
    /// # Ok::<(), task_boot::BootError>(())
    /// ```
    pub fn instance_type(&self) -> InstanceType {
        self.instance_type
    }

    /// The task or hook name.
    ///
    /// ```
    /// use task_boot::{InstanceType, RunRequest};
    /// let r = RunRequest::new("https://optimus:9100", "proj", "job1", "2026-01-02T03:04:05Z",
    ///                         InstanceType::Hook, "predator")?;
    /// assert_eq!(r.instance_name(), "predator");
    /// # Ok::<(), task_boot::BootError>(())
    /// ```
    pub fn instance_name(&self) -> &str {
        &self.instance_name
    }

    /// The job run id (a UUID), if given.
    ///
    /// ```
    /// use task_boot::{InstanceType, RunRequest};
    /// let r = RunRequest::new("https://optimus:9100", "proj", "job1", "2026-01-02T03:04:05Z",
    ///                         InstanceType::Hook, "predator")?;
    /// assert_eq!(r.jobrun_id(), None);
    /// let r = r.with_jobrun_id(Some("8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6f"))?;
    /// assert_eq!(r.jobrun_id(), Some("8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6f"));
    /// # Ok::<(), task_boot::BootError>(())
    /// ```
    pub fn jobrun_id(&self) -> Option<&str> {
        self.jobrun_id.as_deref()
    }

    /// The DAG run id, if given.
    ///
    /// ```
    /// use task_boot::{InstanceType, RunRequest};
    /// let r = RunRequest::new("https://optimus:9100", "proj", "job1", "2026-01-02T03:04:05Z",
    ///                         InstanceType::Hook, "predator")?;
    /// assert_eq!(r.dag_run_id(), None);
    /// # Ok::<(), task_boot::BootError>(())
    /// ```
    pub fn dag_run_id(&self) -> Option<&str> {
        self.dag_run_id.as_deref()
    }

    pub(crate) fn body(&self) -> RequestBody<'_> {
        RequestBody {
            scheduled_at: &self.scheduled_at,
            instance_name: &self.instance_name,
            instance_type: self.instance_type.api_name(),
            jobrun_id: self.jobrun_id.as_deref(),
            dag_run_id: self.dag_run_id.as_deref(),
        }
    }

    /// A hex SHA-256 naming this request (and the asset source, if any). A
    /// complete `in/` carrying the same fingerprint is the result of the
    /// same request, so a restarted init container can skip the work.
    ///
    /// ```
    /// use task_boot::{InstanceType, RunRequest};
    /// let r = RunRequest::new("https://optimus:9100", "proj", "job1", "2026-01-02T03:04:05Z",
    ///                         InstanceType::Hook, "predator")?;
    /// assert_eq!(r.fingerprint(None).len(), 64);
    /// assert_eq!(r.fingerprint(None), r.clone().fingerprint(None));
    /// assert_ne!(r.fingerprint(None), r.fingerprint(Some("file:///assets/")));
    /// # Ok::<(), task_boot::BootError>(())
    /// ```
    pub fn fingerprint(&self, assets: Option<&str>) -> String {
        let mut h = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        for part in [
            "optimus-init/v2",
            self.base.as_str(),
            &self.project,
            &self.job,
            &self.scheduled_at,
            self.instance_type.api_name(),
            &self.instance_name,
            self.jobrun_id.as_deref().unwrap_or(""),
            self.dag_run_id.as_deref().unwrap_or(""),
            assets.unwrap_or(""),
        ] {
            h.update(part.as_bytes());
            h.update(&[0]);
        }
        hex::encode(h.finish())
    }
}

/// Whether `s` is a UUID in a form Go's `uuid.Parse` (the server's check)
/// takes: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, the same in braces or
/// after `urn:uuid:`, or 32 hex digits.
fn is_uuid(s: &str) -> bool {
    let hex = |b: &[u8]| b.iter().all(u8::is_ascii_hexdigit);
    let dashed = |b: &[u8]| {
        b.len() == 36
            && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
            && b.iter()
                .enumerate()
                .all(|(i, c)| [8, 13, 18, 23].contains(&i) || c.is_ascii_hexdigit())
    };
    let b = s.as_bytes();
    match b.len() {
        32 => hex(b),
        36 => dashed(b),
        38 => b[0] == b'{' && b[37] == b'}' && dashed(&b[1..37]),
        45 => b[..9].eq_ignore_ascii_case(b"urn:uuid:") && dashed(&b[9..]),
        _ => false,
    }
}

/// A setting value cut for an error message.
fn shown(v: &str) -> String {
    if v.chars().count() > 80 {
        let mut s: String = v.chars().take(80).collect();
        s.push_str("...");
        s
    } else {
        v.to_owned()
    }
}

fn required(name: &'static str, raw: &str) -> Result<String, BootError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(BootError::Setting {
            name,
            message: "is empty; set the flag or the env var".into(),
        });
    }
    check_text(name, v)
}

fn check_text(name: &'static str, v: &str) -> Result<String, BootError> {
    if v.chars().any(char::is_control) {
        return Err(BootError::Setting {
            name,
            message: format!("{v:?} contains a control character"),
        });
    }
    if v.len() > 1024 {
        return Err(BootError::Setting {
            name,
            message: format!("is {} bytes long; the limit is 1024", v.len()),
        });
    }
    Ok(v.to_owned())
}

fn parse_time(raw: &str) -> Result<(jiff::Timestamp, String), BootError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(BootError::Setting {
            name: "SCHEDULED_AT",
            message: "is empty; set an RFC 3339 time such as 2026-11-23T00:00:00Z".into(),
        });
    }
    let ts: jiff::Timestamp = raw.parse().map_err(|e| BootError::Setting {
        name: "SCHEDULED_AT",
        message: format!("{raw:?} is not an RFC 3339 time such as 2026-11-23T00:00:00Z ({e})"),
    })?;
    Ok((ts, ts.to_string()))
}

fn parse_host(host: &str) -> Result<url::Url, BootError> {
    let host = host.trim();
    if host.is_empty() {
        return Err(BootError::Setting {
            name: "OPTIMUS_HOST",
            message: "is empty; set host:port or a URL such as http://optimus:9100".into(),
        });
    }
    let with_scheme = if host.contains("://") {
        host.to_owned()
    } else {
        format!("http://{host}")
    };
    let bad = |message: String| BootError::Setting {
        name: "OPTIMUS_HOST",
        message,
    };
    let url =
        url::Url::parse(&with_scheme).map_err(|e| bad(format!("{host:?} is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(format!(
            "{host:?}: the scheme must be http or https, not {}",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "must not hold credentials (user:password@); they would show in logs".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(format!("{host:?} must not have a query or fragment")));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad(format!("{host:?} has no host name")));
    }
    Ok(url)
}

fn rest_url(base: &url::Url, project: &str, job: &str) -> Result<url::Url, BootError> {
    let mut url = base.clone();
    {
        let mut segs = url.path_segments_mut().map_err(|()| BootError::Setting {
            name: "OPTIMUS_HOST",
            message: format!("{base} cannot be a base URL"),
        })?;
        segs.pop_if_empty();
        segs.extend([
            "api",
            "v1beta1",
            "project",
            project,
            "job",
            job,
            "run_input",
        ]);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(host: &str) -> Result<RunRequest, BootError> {
        RunRequest::new(
            host,
            "p",
            "j",
            "2026-11-23T00:00:00Z",
            InstanceType::Hook,
            "h",
        )
    }

    #[test]
    fn host_forms() {
        assert_eq!(
            req("optimus:9100").unwrap().url(),
            "http://optimus:9100/api/v1beta1/project/p/job/j/run_input"
        );
        assert_eq!(
            req("https://o.example/base/").unwrap().url(),
            "https://o.example/base/api/v1beta1/project/p/job/j/run_input"
        );
        assert!(
            req("ftp://x")
                .unwrap_err()
                .to_string()
                .contains("OPTIMUS_HOST")
        );
        assert!(
            req("http://u:pw@x")
                .unwrap_err()
                .to_string()
                .contains("credentials")
        );
        assert!(req("").unwrap_err().to_string().contains("OPTIMUS_HOST"));
    }

    #[test]
    fn names_are_path_escaped() {
        let r = RunRequest::new(
            "h",
            "a/b",
            "c d",
            "2026-11-23T00:00:00Z",
            InstanceType::Task,
            "x",
        )
        .unwrap();
        assert_eq!(
            r.url(),
            "http://h/api/v1beta1/project/a%2Fb/job/c%20d/run_input"
        );
    }

    #[test]
    fn each_bad_setting_is_named() {
        let cases = [
            (("", "j", "2026-11-23T00:00:00Z", "x"), "PROJECT"),
            (("p", " ", "2026-11-23T00:00:00Z", "x"), "JOB_NAME"),
            (("p", "j", "2026-13-23T00:00:00Z", "x"), "SCHEDULED_AT"),
            (("p", "j", "2026-11-23", "x"), "SCHEDULED_AT"),
            (("p", "j", "2026-11-23T00:00:00Z", ""), "INSTANCE_NAME"),
        ];
        for ((p, j, t, n), want) in cases {
            let e = RunRequest::new("h", p, j, t, InstanceType::Task, n).unwrap_err();
            assert!(e.is_usage());
            assert!(e.to_string().contains(want), "{e}");
        }
        assert!(
            InstanceType::parse("dag")
                .unwrap_err()
                .to_string()
                .contains("INSTANCE_TYPE")
        );
    }

    #[test]
    fn fingerprint_follows_every_field() {
        let a = req("h").unwrap();
        let b = req("h")
            .unwrap()
            .with_jobrun_id(Some("8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6f"))
            .unwrap();
        let c = req("h")
            .unwrap()
            .with_dag_run_id(Some("scheduled__2026-11-23T00:00:00+00:00"))
            .unwrap();
        assert_ne!(a.fingerprint(None), b.fingerprint(None));
        assert_ne!(a.fingerprint(None), c.fingerprint(None));
        assert_ne!(b.fingerprint(None), c.fingerprint(None));
        assert_ne!(a.fingerprint(None), a.fingerprint(Some("file:///x")));
        assert_eq!(a.fingerprint(None), req("h").unwrap().fingerprint(None));
    }

    #[test]
    fn jobrun_id_must_be_a_uuid_in_a_form_the_server_takes() {
        for ok in [
            "8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6f",
            "8D3C1F2E-9A4B-4C1D-8E2F-1A2B3C4D5E6F",
            "{8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6f}",
            "urn:uuid:8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6f",
            "8d3c1f2e9a4b4c1d8e2f1a2b3c4d5e6f",
        ] {
            let r = req("h").unwrap().with_jobrun_id(Some(ok)).unwrap();
            assert_eq!(r.jobrun_id(), Some(ok));
        }
        for empty in [None, Some(""), Some("  ")] {
            assert_eq!(
                req("h").unwrap().with_jobrun_id(empty).unwrap().jobrun_id(),
                None
            );
        }
        for bad in [
            "scheduled__2026-11-22T10:00:00+00:00",
            "1234",
            "8d3c1f2e-9a4b-4c1d-8e2f-1a2b3c4d5e6",
            "8d3c1f2e-9a4b-4c1d-8e2f_1a2b3c4d5e6f",
            "g d3c1f2e9a4b4c1d8e2f1a2b3c4d5e6f",
        ] {
            let e = req("h").unwrap().with_jobrun_id(Some(bad)).unwrap_err();
            assert!(e.is_usage(), "{e}");
            assert!(e.to_string().contains("JOBRUN_ID"), "{e}");
        }
    }

    #[test]
    fn dag_run_id_is_taken_as_given() {
        let r = req("h")
            .unwrap()
            .with_dag_run_id(Some("scheduled__2026-11-22T10:00:00+00:00"))
            .unwrap();
        assert_eq!(r.dag_run_id(), Some("scheduled__2026-11-22T10:00:00+00:00"));
        assert!(
            req("h")
                .unwrap()
                .with_dag_run_id(Some("a\nb"))
                .unwrap_err()
                .to_string()
                .contains("DAG_RUN_ID")
        );
    }
}

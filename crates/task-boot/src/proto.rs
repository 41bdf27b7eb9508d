//! The two run-input messages, written from their published field numbers
//! (`job_run.proto` of the Optimus protos; the same numbers in every fork).

use std::collections::BTreeMap;

use crate::{InstanceType, RunInput, RunRequest, SecretMap};

/// `google.protobuf.Timestamp`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// `JobRunInputRequest` (field 3 is reserved).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct JobRunInputRequest {
    /// 1: project name.
    #[prost(string, tag = "1")]
    pub project_name: String,
    /// 2: job name.
    #[prost(string, tag = "2")]
    pub job_name: String,
    /// 4: scheduled time.
    #[prost(message, optional, tag = "4")]
    pub scheduled_at: Option<Timestamp>,
    /// 5: task or hook name.
    #[prost(string, tag = "5")]
    pub instance_name: String,
    /// 6: `InstanceSpec.Type` (TYPE_TASK = 1, TYPE_HOOK = 2).
    #[prost(int32, tag = "6")]
    pub instance_type: i32,
    /// 7: job run id, empty or a UUID.
    #[prost(string, tag = "7")]
    pub jobrun_id: String,
    /// 8: Airflow's run id (servers before it ignore the field).
    #[prost(string, tag = "8")]
    pub dag_run_id: String,
}

/// `JobRunInputResponse`. Hand-written so that `Debug` never shows a value.
#[derive(Clone, PartialEq, Eq, prost::Message)]
#[prost(skip_debug)]
pub struct JobRunInputResponse {
    /// 1: env values.
    #[prost(btree_map = "string, string", tag = "1")]
    pub envs: BTreeMap<String, String>,
    /// 2: file contents by name.
    #[prost(btree_map = "string, string", tag = "2")]
    pub files: BTreeMap<String, String>,
    /// 3: secret values.
    #[prost(btree_map = "string, string", tag = "3")]
    pub secrets: BTreeMap<String, String>,
}

impl std::fmt::Debug for JobRunInputResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobRunInputResponse")
            .field("envs", &self.envs.len())
            .field("files", &self.files.len())
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl InstanceType {
    /// The `InstanceSpec.Type` number.
    pub(crate) fn proto_number(self) -> i32 {
        match self {
            Self::Task => 1,
            Self::Hook => 2,
        }
    }
}

impl From<&RunRequest> for JobRunInputRequest {
    fn from(req: &RunRequest) -> Self {
        let ts = req.scheduled();
        Self {
            project_name: req.project().to_owned(),
            job_name: req.job().to_owned(),
            scheduled_at: Some(Timestamp {
                seconds: ts.as_second(),
                nanos: ts.subsec_nanosecond(),
            }),
            instance_name: req.instance_name().to_owned(),
            instance_type: req.instance_type().proto_number(),
            jobrun_id: req.jobrun_id().unwrap_or_default().to_owned(),
            dag_run_id: req.dag_run_id().unwrap_or_default().to_owned(),
        }
    }
}

impl From<JobRunInputResponse> for RunInput {
    fn from(r: JobRunInputResponse) -> Self {
        RunInput {
            envs: r.envs,
            files: r.files,
            secrets: SecretMap::from_plain(r.secrets),
        }
    }
}

impl RunInput {
    /// Decodes the body of a gRPC `JobRunInputResponse` (the message after
    /// gRPC's 5-byte frame header), as the gRPC client does.
    ///
    /// ```
    /// // field 1 (envs), one map entry {1: "A", 2: "1"}
    /// let msg = [0x0a, 0x06, 0x0a, 0x01, b'A', 0x12, 0x01, b'1'];
    /// let input = task_boot::RunInput::from_protobuf(&msg).unwrap();
    /// assert_eq!(input.envs["A"], "1");
    /// assert!(task_boot::RunInput::from_protobuf(&[0x0a, 0x7f]).is_err());
    /// ```
    pub fn from_protobuf(bytes: &[u8]) -> Result<RunInput, prost::DecodeError> {
        <JobRunInputResponse as prost::Message>::decode(bytes).map(RunInput::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn field_numbers_on_the_wire() {
        let req = RunRequest::new(
            "h:1",
            "p",
            "j",
            "2026-11-22T10:00:00+00:00",
            InstanceType::Hook,
            "n",
        )
        .unwrap()
        .with_dag_run_id(Some("d"))
        .unwrap();
        let bytes = JobRunInputRequest::from(&req).encode_to_vec();
        // 1 "p", 2 "j", 4 {1: 1795341600}, 5 "n", 6 2, 8 "d"; 7 empty is left out.
        let mut want = vec![0x0a, 1, b'p', 0x12, 1, b'j', 0x22, 6, 0x08];
        let mut secs = 1_795_341_600u64;
        while secs >= 0x80 {
            want.push(u8::try_from(secs & 0x7f).unwrap() | 0x80);
            secs >>= 7;
        }
        want.push(u8::try_from(secs).unwrap());
        want.extend([0x2a, 1, b'n', 0x30, 2, 0x42, 1, b'd']);
        assert_eq!(bytes, want);
    }

    #[test]
    fn debug_shows_counts_only() {
        let mut r = JobRunInputResponse::default();
        r.secrets.insert("K".into(), "SENTINEL".into());
        assert!(!format!("{r:?}").contains("SENTINEL"));
    }
}

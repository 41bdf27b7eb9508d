//! Writes a job run's inputs the way the init container does, from a reply
//! built in memory (no server, no network), then reads them back the way the
//! `optimus-init exec` launcher does.
//!
//! Run: `cargo run -p task-boot --example write_inputs`

use task_boot::{Durability, InstanceType, Limits, RunInput, RunRequest, SecretMap};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let job_dir = tempfile::tempdir()?;
    let req = RunRequest::new(
        "127.0.0.1:9100",
        "demo-project",
        "daily-sales",
        "2026-11-23T02:00:00Z",
        InstanceType::Task,
        "bq2bq",
    )?;

    // What the run-input API would answer.
    let mut input = RunInput::default();
    input.envs.insert("DATASET".into(), "sales".into());
    input
        .envs
        .insert("QUOTE".into(), "it's $HOME `literally`".into());
    input
        .files
        .insert("query.sql".into(), "select 1 as one\n".into());
    input.secrets = SecretMap::from_plain([("TOKEN".to_owned(), "example-token".to_owned())]);

    let plan = task_boot::plan_inputs(&input, Vec::new(), &Limits::default(), false)?;
    let fingerprint = req.fingerprint(None);
    task_boot::write_inputs(job_dir.path(), &plan, &fingerprint, Durability::Rename)?;

    let in_dir = job_dir.path().join(task_boot::INPUT_DIR);
    println!("wrote {}", in_dir.display());
    println!(
        "query.sql: {:?}",
        std::fs::read_to_string(in_dir.join("query.sql"))?
    );
    for (key, _value) in task_boot::load_env_files(&in_dir)? {
        // Values stay secret: print the keys only.
        println!("env key: {key}");
    }
    // A restarted init container finds the work done.
    assert!(task_boot::existing_inputs(job_dir.path(), &fingerprint)?.is_some());
    Ok(())
}

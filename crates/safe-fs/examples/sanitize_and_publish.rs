//! Sanitise untrusted names, then publish a folder atomically.
//!
//! `cargo run -p safe-fs --example sanitize_and_publish [NAME...]`
//!
//! Each NAME (default: a few typical archive entries, good and bad) is
//! checked with `SafeRelPath`; the accepted ones are written into a staging
//! folder, which then replaces the target folder in one step. Everything
//! happens in a temporary folder that is removed at the end.

use std::process::ExitCode;

use safe_fs::SafeRelPath;

fn main() -> ExitCode {
    let mut names: Vec<String> = std::env::args().skip(1).collect();
    if names.is_empty() {
        names = [
            "optimus-plugin-bq2bq.yaml",
            "./bin/optimus-bq2bq_linux_amd64",
            "../../etc/passwd",
            "/etc/shadow",
            "assets/query.sql",
        ]
        .map(String::from)
        .to_vec();
    }
    match run(&names) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(names: &[String]) -> std::io::Result<()> {
    let work = tempfile::tempdir()?;
    let target = work.path().join("plugins");
    std::fs::create_dir(&target)?;
    safe_fs::atomic::write_file(&target.join("old-plugin.yaml"), b"name: old\n")?;

    let staging = safe_fs::atomic::staging_dir_for(&target)?;
    for name in names {
        match SafeRelPath::new(name) {
            Ok(rel) => {
                let path = staging.path().join(rel.as_str());
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                safe_fs::atomic::write_file(&path, name.as_bytes())?;
                println!("accepted {name:?} as {}", rel.as_str());
            }
            Err(err) => println!("refused  {name:?}: {err}"),
        }
    }

    // Swap the staged folder in; the old contents come back to be removed.
    let staged = staging.keep();
    if let Some(old) = safe_fs::atomic::publish_dir(&staged, &target)? {
        std::fs::remove_dir_all(old)?;
    }
    let mut now: Vec<String> = walk(&target)?;
    now.sort();
    println!("plugins/ now holds: {now:?}");
    Ok(())
}

fn walk(dir: &std::path::Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() {
            out.extend(
                walk(&entry.path())?
                    .into_iter()
                    .map(|n| format!("{name}/{n}")),
            );
        } else {
            out.push(name);
        }
    }
    Ok(out)
}

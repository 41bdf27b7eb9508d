//! `optimus-init exec -- CMD ARGS...`: load the env files and become CMD.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitCode};

use secrecy::ExposeSecret;

/// Replaces this process with `command`, its environment being ours plus
/// `JOB_DIR/in/.env` and `.secret` (file values win). Returns only when
/// that fails.
pub fn exec(job_dir: &Path, command: &[OsString]) -> ExitCode {
    let Some((program, args)) = command.split_first() else {
        eprintln!("optimus-init exec: no command given (usage: optimus-init exec -- CMD ARGS...)");
        return ExitCode::from(2);
    };
    let in_dir = job_dir.join(task_boot::INPUT_DIR);
    let vars = match task_boot::load_env_files(&in_dir) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("optimus-init exec: {e}");
            return ExitCode::from(1);
        }
    };
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, v) in &vars {
        cmd.env(k, v.expose_secret());
    }
    let err = cmd.exec();
    eprintln!(
        "optimus-init exec: cannot run {}: {err}",
        Path::new(program).display()
    );
    if err.kind() == std::io::ErrorKind::NotFound {
        ExitCode::from(127)
    } else {
        ExitCode::from(126)
    }
}

//! `optimus-plugin`: install, list, validate, sync, serve, lock and verify
//! Optimus plugins. A thin front end: the work is done by the
//! `plugin-manager` and `plugin-spec` libraries.

/// `print!` for results: writes to stdout and returns from the function
/// with [`cli::StdoutClosed`] when the reader is gone (`| head`), which
/// ends the process quietly with exit code 0.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!($($arg)*))?
    };
}

/// `println!` for results, as [`out!`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

mod cli;
mod cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli::init_logging(&cli.global);
    let log_format = cli.global.log_format;
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => cli::report(&err, log_format),
    }
}

//! `optimus-plugin completions SHELL`: the scripts it prints are valid for
//! their shell and complete what the CLI accepts (every subcommand, the
//! global flags and their values), checked by running the bash completion
//! function in a real bash.

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

fn optimus_plugin() -> Command {
    let mut cmd = Command::cargo_bin("optimus-plugin").expect("binary built by cargo test");
    // Completion output must not depend on the caller's environment.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("OPTIMUS_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn completion_script(shell: &str) -> String {
    let out = optimus_plugin()
        .args(["completions", shell])
        .output()
        .expect("run optimus-plugin");
    assert!(
        out.status.success(),
        "completions {shell} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "completions {shell} wrote to stderr");
    String::from_utf8(out.stdout).expect("completion script is UTF-8")
}

/// The subcommands listed by `optimus-plugin --help` (the "Commands:" block),
/// so the test follows the CLI as subcommands are added.
fn subcommands() -> Vec<String> {
    let out = optimus_plugin().arg("--help").output().expect("run --help");
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).expect("help is UTF-8");
    let block = help
        .split("Commands:")
        .nth(1)
        .expect("--help lists Commands:");
    let names: Vec<String> = block
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        // A long description wraps onto lines indented past the name column.
        .filter(|line| !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect();
    assert!(names.iter().any(|n| n == "completions"), "{help}");
    names
}

/// Runs the bash completion function for the words typed so far (the last
/// one being completed) and returns the candidates bash would offer.
fn bash_complete(script: &Path, words: &[&str]) -> Vec<String> {
    let words_literal: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        r#"source "$1"
COMP_WORDS=({words})
COMP_CWORD={cword}
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
# The function the script registered for optimus-plugin (complete -F NAME).
spec=$(complete -p optimus-plugin) || exit 3
fn=${{spec##*-F }}
fn=${{fn%% *}}
declare -F "$fn" >/dev/null || exit 4
"$fn" optimus-plugin "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
if [ "${{#COMPREPLY[@]}}" -gt 0 ]; then printf '%s\n' "${{COMPREPLY[@]}}"; fi"#,
        words = words_literal.join(" "),
        cword = words.len() - 1,
    );
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &program, "bash"])
        .arg(script)
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "bash completion failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_script(dir: &Path, shell: &str) -> std::path::PathBuf {
    let path = dir.join(format!("optimus-plugin.{shell}"));
    std::fs::write(&path, completion_script(shell)).expect("write script");
    path
}

#[test]
fn bash_completes_subcommands_flags_and_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = write_script(dir.path(), "bash");

    let first = bash_complete(&script, &["optimus-plugin", ""]);
    for sub in subcommands() {
        assert!(
            first.contains(&sub),
            "`optimus-plugin <TAB>` lacks {sub}: {first:?}"
        );
    }

    let flags = bash_complete(&script, &["optimus-plugin", "--"]);
    for flag in [
        "--plugin-dir",
        "--output",
        "--log-format",
        "--verbose",
        "--help",
        "--version",
    ] {
        assert!(
            flags.iter().any(|f| f == flag),
            "`optimus-plugin --<TAB>` lacks {flag}: {flags:?}"
        );
    }

    let shells = bash_complete(&script, &["optimus-plugin", "completions", ""]);
    for shell in ["bash", "zsh", "fish"] {
        assert!(
            shells.iter().any(|s| s == shell),
            "`completions <TAB>` lacks {shell}: {shells:?}"
        );
    }

    let formats = bash_complete(
        &script,
        &["optimus-plugin", "completions", "--log-format", ""],
    );
    assert_eq!(formats, ["text", "json"], "`--log-format <TAB>`");
}

#[test]
fn bash_script_has_valid_syntax() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = write_script(dir.path(), "bash");
    let status = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .expect("run bash -n");
    assert!(status.success(), "bash -n rejects the completion script");
}

/// zsh and fish: every subcommand is in the script, and the shell (when
/// installed) parses it without running it.
#[test]
fn zsh_and_fish_scripts_name_every_subcommand_and_parse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let subs = subcommands();
    for (shell, check) in [("zsh", ["-n"]), ("fish", ["--no-execute"])] {
        let script = write_script(dir.path(), shell);
        let text = std::fs::read_to_string(&script).expect("read script");
        assert!(
            text.contains("optimus-plugin"),
            "{shell} script never names the binary"
        );
        for sub in &subs {
            assert!(
                text.contains(sub.as_str()),
                "{shell} script lacks subcommand {sub}"
            );
        }
        match Command::new(shell).args(check).arg(&script).output() {
            Ok(out) => assert!(
                out.status.success(),
                "{shell} {} rejects the script: {}",
                check[0],
                String::from_utf8_lossy(&out.stderr)
            ),
            // The shell is not installed here: the content checks above still ran.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => panic!("cannot run {shell}: {err}"),
        }
    }
}

#[test]
fn unknown_shell_is_a_usage_error_naming_it() {
    let out = optimus_plugin()
        .args(["completions", "tcsh"])
        .output()
        .expect("run optimus-plugin");
    assert_eq!(out.status.code(), Some(2), "bad usage exits 2");
    assert!(out.stdout.is_empty(), "nothing on stdout for a usage error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tcsh"), "message names the bad value: {err}");
    assert!(
        err.contains("bash"),
        "message lists the accepted shells: {err}"
    );
}

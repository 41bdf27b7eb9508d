//! Parse and validate a YAML plugin, as `optimus-plugin validate` does.
//!
//! `cargo run -p plugin-spec --example check_plugin [FILE]`
//!
//! With FILE, checks that file. Without, checks a built-in valid plugin and
//! a broken one, to show the `origin:line:col: message` errors.

use std::process::ExitCode;

const VALID: &str = "\
name: bq2bq
description: BigQuery to BigQuery transformation
plugintype: task
pluginversion: 0.3.2
image: registry.example.org/optimus/bq2bq-executor:0.3.2
entrypoint:
  script: python3 /opt/bq2bq/main.py
questions:
  - name: PROJECT
    prompt: Project ID
    required: true
";

const BROKEN: &str = "\
name: Not A Valid Name
plugintype: sometimes
pluginversion: 0.3.2
colour: blue
";

fn main() -> ExitCode {
    if let Some(path) = std::env::args_os().nth(1) {
        return match plugin_spec::load_file(std::path::Path::new(&path)) {
            Ok(plugin) => {
                print_plugin(&plugin);
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("{err}");
                ExitCode::FAILURE
            }
        };
    }
    match plugin_spec::load_str(VALID, "bq2bq.yaml") {
        Ok(plugin) => {
            print_plugin(&plugin);
            println!("--- written back in upstream's spelling ---");
            print!("{}", plugin.to_yaml());
        }
        Err(err) => {
            eprintln!("the built-in valid plugin was refused:\n{err}");
            return ExitCode::FAILURE;
        }
    }
    match plugin_spec::load_str(BROKEN, "broken.yaml") {
        Ok(_) => {
            eprintln!("the built-in broken plugin was accepted");
            ExitCode::FAILURE
        }
        Err(err) => {
            println!("--- broken.yaml is refused ---\n{err}");
            ExitCode::SUCCESS
        }
    }
}

fn print_plugin(plugin: &plugin_spec::Plugin) {
    println!(
        "{} {} ({:?}): {}",
        plugin.name, plugin.version, plugin.plugin_type, plugin.image
    );
}

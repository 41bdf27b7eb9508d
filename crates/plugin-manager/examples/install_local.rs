//! Install a plugin set from a local folder, twice, as an embedding service
//! would (no network).
//!
//! `cargo run -p plugin-manager --example install_local`
//!
//! Writes a YAML plugin and a config with a `type: local` provider into a
//! temporary folder, installs, prints the plan and the installed plugins,
//! then installs again: the second plan keeps everything unchanged.

use std::process::ExitCode;
use std::sync::Arc;

use plugin_manager::{InstallOptions, ManagerConfig, Silent};
use plugin_repo::ProviderContext;

const PLUGIN: &str = "\
name: hello
description: prints a greeting
plugintype: task
pluginversion: 0.1.0
image: registry.example.org/optimus/hello:0.1.0
entrypoint:
  script: echo hello
";

const CONFIG: &str = "\
plugins:
  plugin_dir: plugins
  providers:
    - type: local
      name: bundled
      path: artifacts
  plugins:
    - provider: bundled
      path: optimus-plugin-hello.yaml
";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let work = tempfile::tempdir()?;
    let artifacts = work.path().join("artifacts");
    std::fs::create_dir(&artifacts)?;
    std::fs::write(artifacts.join("optimus-plugin-hello.yaml"), PLUGIN)?;
    let config_file = work.path().join("optimus.yaml");
    std::fs::write(&config_file, CONFIG)?;

    let cfg = ManagerConfig::from_str(CONFIG, &config_file)?;
    let plugin_dir = work.path().join("plugins");
    let ctx = ProviderContext::new(work.path());
    let opts = InstallOptions::default();

    for round in ["first", "second"] {
        let report =
            plugin_manager::install(&cfg, &plugin_dir, &ctx, None, &opts, Arc::new(Silent)).await?;
        println!("{round} install:");
        for item in &report.plan.items {
            println!("  {:?} {} ({})", item.action, item.source, item.reason);
        }
        for p in &report.plugins {
            println!(
                "  installed {} {} ({}) -> {}",
                p.name, p.version, p.plugin_type, p.file
            );
        }
        println!("  downloaded {} artifact(s)", report.downloaded.len());
    }
    Ok(())
}

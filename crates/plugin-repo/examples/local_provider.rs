//! Fetch artifacts from a local-folder provider and from a source path.
//!
//! `cargo run -p plugin-repo --example local_provider`
//!
//! Builds a provider over a temporary folder (the `type: local` config
//! entry), lists it, streams one artifact, and resolves a form-2 source (a
//! relative path, with a `?checksum=` option) against a config directory.
//! Nothing leaves this machine.

use std::process::ExitCode;

use futures::StreamExt;
use plugin_repo::{LocalConfig, ProviderConfig, ProviderContext, ProviderSettings, Source};

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
    let config_dir = tempfile::tempdir()?;
    let artifacts = config_dir.path().join("artifacts");
    std::fs::create_dir_all(artifacts.join("hooks"))?;
    std::fs::write(artifacts.join("bq2bq.tar.gz"), vec![7u8; 100_000])?;
    std::fs::write(artifacts.join("hooks/predator.yaml"), "name: predator\n")?;

    // Form 1: a provider entry; `path` resolves against the config dir.
    let entry = ProviderConfig {
        name: "bundled".to_owned(),
        settings: ProviderSettings::Local(LocalConfig {
            path: "artifacts".into(),
        }),
    };
    let ctx = ProviderContext::new(config_dir.path());
    let provider = entry.build(&ctx)?;
    for object in provider.list("").await? {
        println!(
            "{}: {} ({} bytes)",
            provider.name(),
            object.path,
            object.size
        );
    }

    let fetched = provider.get("bq2bq.tar.gz").await?;
    let mut body = fetched.body;
    let mut received = 0usize;
    while let Some(chunk) = body.next().await {
        received += chunk?.len();
    }
    println!(
        "streamed bq2bq.tar.gz: {received} bytes (size reported up front: {:?})",
        fetched.meta.size
    );

    // Form 2: a source string as in `plugin.artifacts`.
    let source = Source::parse(
        "artifacts/hooks/predator.yaml?checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000",
        config_dir.path(),
    )?;
    let from_source = source.provider(&ctx)?;
    let meta = from_source.head(source.path()).await?;
    println!(
        "source {} -> file {} ({:?} bytes), pinned checksum: {:?}",
        source.display_name(),
        source.file_name(),
        meta.size,
        source.options.checksum.is_some()
    );
    Ok(())
}

//! `optimus-plugin serve`: serve the installed YAML plugins to `sync`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use plugin_sync::serve::{PluginServer, run_until};

use crate::cli::{Global, Output, UsageError};

/// Serve the installed YAML plugins to `sync` clients over HTTP.
///
/// Endpoints: `GET /plugins` (a zip with ETag, as the Optimus server
/// serves it), `GET /plugins/index.json`, `GET /healthz`.
///
/// The folder is re-read when it changes, so a new install is served
/// without a restart. Stops cleanly on SIGTERM or Ctrl-C.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "--plugin-dir: default .plugins (no config is read for it).

Exit codes: 0 stopped by a signal, 1 cannot listen or serve, 2 bad usage.

Example:
  optimus-plugin serve --addr 0.0.0.0:9100 --plugin-dir /var/lib/optimus/.plugins"
)]
pub struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(
        long,
        env = "OPTIMUS_SERVE_ADDR",
        default_value = "127.0.0.1:9100",
        value_name = "IP:PORT"
    )]
    addr: String,
}

pub fn run(global: &Global, args: &Args) -> anyhow::Result<ExitCode> {
    let addr: SocketAddr = args.addr.parse().map_err(|e| {
        UsageError(format!(
            "--addr {:?}: not an IP:PORT address ({e})",
            args.addr
        ))
    })?;
    let plugin_dir = global
        .plugin_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(".plugins"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(serve(global.output, addr, plugin_dir))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(output: Output, addr: SocketAddr, plugin_dir: PathBuf) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr().context("reading the bound address")?;
    let server = PluginServer::new(plugin_dir.clone());
    // The first line on stdout says where to connect (useful with port 0);
    // a closed stdout does not stop the server.
    let _ = match output {
        Output::Text => crate::cli::write_out(format_args!(
            "serving YAML plugins from {} on http://{bound}/plugins\n",
            plugin_dir.display()
        )),
        Output::Json => crate::cli::write_out(format_args!(
            "{}\n",
            serde_json::json!({
                "addr": bound.to_string(),
                "url": format!("http://{bound}/plugins"),
                "plugin_dir": plugin_dir.display().to_string(),
            })
        )),
    };
    tracing::info!(addr = %bound, plugin_dir = %plugin_dir.display(), "listening");
    let signal = shutdown::wait();
    let stop = async {
        let sig = signal.await;
        tracing::info!("{} received; finishing open requests", sig.name());
    };
    run_until(listener, server, stop).await.context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

//! `confgate-testcluster --kubeconfig FILE [--load PATH]... [--port N] [--name NAME]`:
//! writes the kubeconfig, loads the manifests, prints `READY <port>` and serves until
//! SIGTERM or SIGINT.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Parser;
use confgate_testcluster::{Options, TestCluster};

#[derive(Parser)]
#[command(
    name = "confgate-testcluster",
    about = "A Kubernetes API server for tests (in memory, HTTPS, real kubeconfig)"
)]
struct Cli {
    /// Where to write the kubeconfig.
    #[arg(long)]
    kubeconfig: PathBuf,
    /// Manifests to store at start: YAML files or directories of them (repeatable).
    #[arg(long)]
    load: Vec<PathBuf>,
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Cluster name (kubeconfig cluster, context and user prefix).
    #[arg(long, default_value = "testcluster")]
    name: String,
    /// Inject a fault: METHOD:PATH_PREFIX=500x3 or METHOD:PATH_PREFIX=delay5sx1 (repeatable).
    #[arg(long)]
    fault: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let tc = TestCluster::start(Options {
        name: cli.name,
        load: cli.load,
        kubeconfig: Some(cli.kubeconfig),
        users: vec![],
        port: cli.port,
        faults: cli.fault,
    })?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "READY {}", tc.port())?;
        out.flush()?;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await?;
        anyhow::Ok(())
    })?;
    drop(tc);
    Ok(())
}

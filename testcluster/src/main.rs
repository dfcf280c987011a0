//! `confgate-testcluster --kubeconfig FILE [--load PATH]... [--port N] [--name NAME]
//! [--fault RULE]... [--service-endpoint NS/NAME=HOST:PORT]...`:
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
    /// Dial admission webhooks given as service NS/NAME at HOST:PORT: NS/NAME=HOST:PORT
    /// (repeatable; unlisted services are dialled at 127.0.0.1:<service port>).
    #[arg(long, value_parser = service_endpoint)]
    service_endpoint: Vec<(String, String)>,
}

fn service_endpoint(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((svc, addr)) if svc.contains('/') && addr.contains(':') => {
            Ok((svc.to_string(), addr.to_string()))
        }
        _ => Err(format!("expected NAMESPACE/NAME=HOST:PORT, got {s:?}")),
    }
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
        service_endpoints: cli.service_endpoint.into_iter().collect(),
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

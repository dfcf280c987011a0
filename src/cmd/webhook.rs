//! `confgate serve --webhook`: resolves the scan and webhook settings, compiles the
//! scanner once, optionally keeps a watched inventory of the cluster, and serves HTTPS
//! until Ctrl-C / SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use confgate::cluster;
use confgate::diag::{Code, Diagnostic};
use confgate::scan::Scanner;
use confgate::webhook::{Webhook, server};

use crate::Status;
use crate::cli::{Cli, ServeArgs};

async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

pub fn serve(cli: &Cli, args: &ServeArgs) -> anyhow::Result<Status> {
    let settings = super::settings(cli.config.as_deref())?;
    let scan = settings.scan(&args.scan)?;
    let ws = settings.webhook(&args.webhook, args.listen.as_deref(), &scan)?;
    let reloader = Arc::new(server::CertReloader::new(
        &ws.tls_cert,
        &ws.tls_key,
        Duration::from_secs(1),
    )?);
    let scanner = Arc::new(Scanner::new(&scan.scan)?);
    let webhook = Arc::new(Webhook::new(scanner, ws.policy.clone()));
    let connect = if ws.inventory {
        Some(settings.connect(&args.connect)?)
    } else {
        None
    };
    let rt = cluster::runtime()?;
    rt.block_on(async {
        let mirror = match &connect {
            Some(c) => {
                let clusters = cluster::connect_all(c).await?;
                let [c] = clusters.as_slice() else {
                    anyhow::bail!(
                        "serve --webhook works on one context; {} were given",
                        clusters.len()
                    );
                };
                let served = cluster::discovery::discover(c).await?;
                let types = cluster::mirror::inventory_types(&served);
                let mirror = cluster::mirror::Mirror::new(types.len());
                tokio::spawn(confgate::webhook::keep_inventory(
                    webhook.clone(),
                    c.clone(),
                    mirror.clone(),
                    types,
                    Duration::from_millis(300),
                ));
                Some(mirror)
            }
            None => None,
        };
        let ready: Arc<dyn Fn() -> Result<(), String> + Send + Sync> = match mirror {
            Some(m) => Arc::new(move || {
                if m.synced() {
                    Ok(())
                } else {
                    let failing = m.failing();
                    Err(if failing.is_empty() {
                        "the cluster inventory is not listed yet".to_string()
                    } else {
                        format!(
                            "the cluster inventory is not listed yet: {}",
                            failing.join("; ")
                        )
                    })
                }
            }),
            None => Arc::new(|| Ok(())),
        };
        let opts = server::ServerOptions {
            cert: ws.tls_cert.clone(),
            key: ws.tls_key.clone(),
            max_body: ws.max_body,
            deadline: ws.deadline,
            metrics_prefix: args.metrics.then(|| {
                args.flags
                    .metric_prefix
                    .clone()
                    .unwrap_or_else(|| "confgate".to_string())
            }),
            reload_check: Duration::from_secs(1),
        };
        let app = server::router(webhook, &opts, ready);
        let tls = server::tls_config(reloader)?;
        let listener = confgate::monitor::serve::bind(&ws.listen).await?;
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or(ws.listen.clone());
        eprintln!(
            "confgate: admission webhook on https://{addr}/validate (failure policy {}, {}{})",
            ws.policy.failure.as_str(),
            if ws.policy.audit_only {
                "audit-only"
            } else {
                "enforcing"
            },
            if ws.inventory {
                ", cluster inventory"
            } else {
                ""
            }
        );
        server::serve(listener, tls, app, shutdown()).await?;
        Ok(Status::Clean)
    })
}

/// `serve` without --webhook or --metrics.
pub fn nothing_to_serve() -> Diagnostic {
    Diagnostic::new(
        Code::Settings,
        "choose what to serve: --webhook (admission webhook, HTTPS) or --metrics (monitoring)",
    )
}

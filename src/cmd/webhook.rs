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
            Some(m) => {
                let webhook = webhook.clone();
                Arc::new(move || {
                    if m.synced() && webhook.inventory_complete() {
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
                })
            }
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

/// `confgate webhook ...`.
pub fn run(c: &crate::cli::WebhookCommand) -> anyhow::Result<Status> {
    match c {
        crate::cli::WebhookCommand::Manifests(a) => manifests(a),
    }
}

fn manifests(a: &crate::cli::WebhookManifestsArgs) -> anyhow::Result<Status> {
    use confgate::webhook::manifests::{self, ManifestOptions, TlsSource};
    let settings_error = |m: String| Diagnostic::new(Code::Settings, m);
    let mut written = vec![];
    let (tls, pki) = if a.self_signed {
        let pki = manifests::self_signed(&a.name, &a.namespace).map_err(settings_error)?;
        (
            TlsSource::SelfSigned {
                ca_pem: pki.ca_pem.clone(),
            },
            Some(pki),
        )
    } else if a.cert_manager {
        let issuer = match &a.issuer {
            None => None,
            Some(s) => match s.split_once('/') {
                Some((k @ ("Issuer" | "ClusterIssuer"), n)) if !n.is_empty() => {
                    Some((k.to_string(), n.to_string()))
                }
                _ => {
                    return Err(settings_error(format!(
                        "--issuer {s:?}: expected Issuer/NAME or ClusterIssuer/NAME"
                    ))
                    .into());
                }
            },
        };
        (TlsSource::CertManager { issuer }, None)
    } else if let Some(f) = &a.ca_bundle {
        let ca_pem = std::fs::read_to_string(f).map_err(|e| {
            Diagnostic::new(Code::Settings, format!("cannot read the CA bundle: {e}"))
                .file(f.display().to_string())
        })?;
        if !ca_pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(Diagnostic::new(Code::Settings, "not a PEM certificate")
                .file(f.display().to_string())
                .into());
        }
        (TlsSource::CaBundle { ca_pem }, None)
    } else {
        return Err(settings_error(
            "choose how the webhook gets its certificate: --self-signed --cert-dir DIR, \
             --cert-manager, or --ca-bundle FILE (with a Secret <name>-tls you create)"
                .into(),
        )
        .into());
    };
    let opts = ManifestOptions {
        namespace: a.namespace.clone(),
        name: a.name.clone(),
        image: a.image.clone().unwrap_or_else(manifests::default_image),
        replicas: a.replicas,
        failure: a.failure_policy,
        timeout_seconds: a.timeout_seconds,
        audit_only: a.audit_only,
        exempt_namespaces: a.exempt_namespace.clone(),
        inventory: a.inventory,
        tls,
    };
    let objects = manifests::objects(&opts).map_err(settings_error)?;
    let mut text = String::new();
    for o in &objects {
        text.push_str("---\n");
        text.push_str(&cluster::live::to_yaml(o).map_err(settings_error)?);
    }
    if let (Some(pki), Some(dir)) = (&pki, &a.cert_dir) {
        std::fs::create_dir_all(dir).map_err(|e| {
            Diagnostic::new(
                Code::Unreadable,
                format!("cannot create the directory: {e}"),
            )
            .file(dir.display().to_string())
        })?;
        // The Namespace first (the same object as in the manifests), so the Secret can be
        // applied before them.
        let secret = format!(
            "---\n{}---\n{}",
            cluster::live::to_yaml(&objects[0]).map_err(settings_error)?,
            cluster::live::to_yaml(&manifests::tls_secret(&opts, pki)).map_err(settings_error)?
        );
        for (file, body, private) in [
            ("ca.crt", pki.ca_pem.as_str(), false),
            ("tls.crt", pki.cert_pem.as_str(), false),
            ("tls.key", pki.key_pem.as_str(), true),
            ("tls-secret.yaml", secret.as_str(), true),
        ] {
            let p = dir.join(file);
            let r = if private {
                confgate::fsutil::write_private(&p, body.as_bytes())
            } else {
                confgate::fsutil::write_atomic(&p, body.as_bytes())
            };
            r.map_err(|e| {
                Diagnostic::new(Code::Unreadable, format!("cannot write: {e}"))
                    .file(p.display().to_string())
            })?;
            written.push(p);
        }
    }
    super::write_output(a.output.as_deref(), text.as_bytes())?;
    if let Some(dir) = &a.cert_dir
        && !written.is_empty()
    {
        eprintln!(
            "confgate: the certificate and key are in {} (mode 0600 for the key); create the Secret first: kubectl apply -f {}",
            dir.display(),
            dir.join("tls-secret.yaml").display()
        );
    }
    Ok(Status::Clean)
}

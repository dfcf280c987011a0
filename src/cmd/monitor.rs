//! `confgate monitor` (one check or --watch, metrics export, history, alerts on stderr)
//! and `confgate serve --metrics`. The passes are `confgate::monitor`; this file resolves
//! settings, writes and decides the exit code.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Instant;

use confgate::cluster;
use confgate::diag::{Code, Diagnostic};
use confgate::monitor::alert::{self, Alerter};
use confgate::monitor::history::{self, History};
use confgate::monitor::{Snapshot, chart, expose};
use confgate::report::escape;
use confgate::scan::Scanner;
use confgate::settings::{HistoryFormat, MetricsFormat, MonitorSettings};

use crate::Status;
use crate::cli::{Cli, MonitorArgs, MonitorSub, ServeArgs};

fn scanner(settings: &confgate::settings::Settings) -> anyhow::Result<Arc<Scanner>> {
    let t = Instant::now();
    let scan = settings.scan(&confgate::settings::ScanFlags::default())?;
    let s = Arc::new(Scanner::new(&scan.scan)?);
    tracing::debug!(
        elapsed_s = t.elapsed().as_secs_f64(),
        rss_mib = ?confgate::diag::current_rss_mib(),
        "scanner ready"
    );
    Ok(s)
}

/// One line per namespace.
fn text(snap: &Snapshot, threshold: u32) -> String {
    let mut out = String::new();
    if !snap.reachable {
        out.push_str(&format!(
            "context {}: cluster unreachable, health unknown: {}\n",
            escape::control(&snap.context),
            escape::control(snap.errors.first().map(String::as_str).unwrap_or(""))
        ));
        return out;
    }
    out.push_str(&format!(
        "context {}: {} namespaces checked in {:.2} s (alert threshold {threshold})\n",
        escape::control(&snap.context),
        snap.namespaces.len(),
        snap.seconds
    ));
    for s in &snap.namespaces {
        let ph = |p: &str| s.pods_by_phase.get(p).copied().unwrap_or(0);
        let (d, r) = s
            .deployments
            .iter()
            .chain(&s.statefulsets)
            .chain(&s.daemonsets)
            .fold((0, 0), |(d, r), x| (d + x.desired, r + x.ready));
        out.push_str(&format!(
            "{:<24} health {:>3}{}  pods {} running, {} pending, {} failed  replicas {r}/{d} ready  restarts {}  findings {}  security {}\n",
            s.namespace,
            s.health.score,
            if s.health.score < threshold { " (!)" } else { "" },
            ph("Running"),
            ph("Pending"),
            ph("Failed"),
            s.container_restarts,
            s.findings.values().sum::<usize>(),
            s.security_score
        ));
    }
    for e in &snap.errors {
        out.push_str(&format!("warning: {}\n", escape::control(e)));
    }
    out
}

fn render(snap: &Snapshot, format: MetricsFormat, ms: &MonitorSettings) -> anyhow::Result<String> {
    Ok(match format {
        MetricsFormat::Prometheus => {
            expose::prometheus(snap, &ms.prefix, None)
                + &expose::backup_series(Some(&ms.state_dir), &ms.prefix)
        }
        MetricsFormat::Json => expose::json(snap),
        MetricsFormat::Csv => expose::csv(snap)?,
        MetricsFormat::Text => text(snap, ms.alert_threshold),
    })
}

/// One line on stderr per notification (what the routes also get).
fn notice_line(n: &confgate::monitor::alert::Notice) -> String {
    let what = if n.subject == "(cluster)" {
        format!("cluster {}", n.context)
    } else {
        format!("namespace {}", n.subject)
    };
    format!(
        "alert {} ({}{}): {what}: {}",
        n.state,
        n.level.as_str(),
        if n.escalation { ", escalated" } else { "" },
        escape::control(&n.summary)
    )
}

pub fn run(cli: &Cli, args: &MonitorArgs) -> anyhow::Result<Status> {
    let settings = super::settings(cli.config.as_deref())?;
    if let Some(MonitorSub::History {
        since,
        format,
        output,
        alert_threshold,
        state_dir,
    }) = &args.sub
    {
        return show_history(
            &settings,
            since,
            *format,
            output.as_deref(),
            *alert_threshold,
            state_dir.as_deref(),
        );
    }
    let connect = settings.connect(&args.connect)?;
    let scanner = scanner(&settings)?;
    let rt = cluster::runtime()?;
    rt.block_on(async {
        let clusters = cluster::connect_all(&connect).await?;
        let [c] = clusters.as_slice() else {
            anyhow::bail!(
                "monitor works on one context; {} were given",
                clusters.len()
            );
        };
        let ms = settings.monitor(
            &args.flags,
            args.duration,
            args.format,
            args.alert_threshold,
            None,
            c.default_namespace(),
        )?;
        let export_format = match ms.format {
            MetricsFormat::Text if args.export_metrics => MetricsFormat::Prometheus,
            f => f,
        };
        let hist = History::new(&ms.state_dir);
        let mut alerter = Alerter::new(ms.alert_threshold, &ms.alerts);
        let targets = alert::targets(&ms.alerts)?;
        let sender = alert::Sender::new(ms.alerts.delivery_timeout())?;
        let past = match ms.alerts.adaptive {
            Some(_) => match hist.read(jiff::Timestamp::now().as_second() - 7 * 86_400) {
                Ok((r, warnings)) => {
                    for w in warnings {
                        eprintln!("confgate: warning: {w}");
                    }
                    r
                }
                Err(e) => {
                    eprintln!("confgate: warning: {e}");
                    Vec::new()
                }
            },
            None => Vec::new(),
        };
        let mut past = past;
        let tty = std::io::stdout().is_terminal() && !args.export_metrics;
        let started = Instant::now();
        let mut last;
        let mut wait = ms.interval;
        // --watch follows the cluster with watch streams (started once its API can be
        // discovered); one check lists.
        let mut feed = None;
        let mut cache = confgate::monitor::ScanCache::default();
        loop {
            if args.watch && feed.is_none() {
                feed = confgate::monitor::Feed::start(c, &ms.options).await.ok();
            }
            let snap = confgate::monitor::collect_with(
                c,
                &scanner,
                &ms.options,
                feed.as_ref(),
                &mut cache,
            )
            .await;
            let records = history::records(&snap, &ms.options.namespaces);
            if let Err(e) = hist.append(&records) {
                eprintln!("confgate: warning: history not written: {e}");
            }
            for n in alerter.update(&snap, &past) {
                eprintln!("{}", notice_line(&n));
                for t in targets.iter().filter(|t| alert::routed(&t.route, &n)) {
                    // A receiver that is down or slow is reported; the monitor goes on.
                    if let Err(e) = sender.send(t, &n).await {
                        eprintln!("confgate: warning: {e}");
                    }
                }
            }
            past.extend(records);
            if args.export_metrics {
                let body = render(&snap, export_format, &ms)?;
                super::write_output(args.output.as_deref(), body.as_bytes())?;
            }
            if !args.export_metrics || args.output.is_some() {
                let t = text(&snap, ms.alert_threshold);
                if tty && args.watch {
                    // A live view: the screen is redrawn with the latest check.
                    print!("\x1b[2J\x1b[H");
                }
                if args.watch || !args.export_metrics {
                    print!("{t}");
                }
            }
            // Backoff while the cluster is unreachable: the next try waits longer.
            wait = if snap.reachable {
                ms.interval
            } else {
                (wait * 2).min(ms.interval * 8)
            };
            last = snap;
            if !args.watch || started.elapsed() + wait > ms.duration {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        if !last.reachable {
            return Err(Diagnostic::new(
                Code::Cluster,
                format!(
                    "the cluster of context {} could not be read: {}",
                    last.context,
                    last.errors.first().map(String::as_str).unwrap_or("unknown")
                ),
            )
            .into());
        }
        Ok(if last.lowest_health() < ms.alert_threshold {
            Status::Findings
        } else {
            Status::Clean
        })
    })
}

fn show_history(
    settings: &confgate::settings::Settings,
    since: &str,
    format: HistoryFormat,
    output: Option<&std::path::Path>,
    alert_threshold: Option<u32>,
    state_dir: Option<&std::path::Path>,
) -> anyhow::Result<Status> {
    let secs = history::parse_since(since).ok_or_else(|| {
        Diagnostic::new(
            Code::Settings,
            format!("--since {since:?}: expected a duration such as 90s, 30m, 24h or 7d"),
        )
    })?;
    let flags = confgate::settings::MonitorFlags {
        state_dir: state_dir.map(|p| p.to_path_buf()),
        ..Default::default()
    };
    let ms = settings.monitor(
        &flags,
        None,
        Some(MetricsFormat::Text),
        alert_threshold,
        None,
        "default",
    )?;
    let (records, warnings) =
        History::new(&ms.state_dir).read(jiff::Timestamp::now().as_second() - secs)?;
    for w in &warnings {
        eprintln!("confgate: warning: {w}");
    }
    let body = match format {
        HistoryFormat::Html => {
            let page = chart::html(&records, ms.alert_threshold, since)?;
            super::write_output(output, &page)?;
            return Ok(Status::Clean);
        }
        HistoryFormat::Json => format!("{}\n", serde_json::to_string_pretty(&records)?),
        HistoryFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            for r in &records {
                w.serialize(r)?;
            }
            String::from_utf8_lossy(&w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)
                .into_owned()
        }
        HistoryFormat::Text => {
            let mut t = String::new();
            if records.is_empty() {
                t.push_str(&format!("no checks recorded in the last {since}\n"));
            }
            for r in &records {
                let when = jiff::Timestamp::from_second(r.t)
                    .map(|t| t.to_string())
                    .unwrap_or_else(|_| r.t.to_string());
                t.push_str(&format!(
                    "{when}  {:<24} health {:>7}  pods {} running, {} not  restarts {}  findings {}\n",
                    r.namespace,
                    r.health
                        .map(|h| h.to_string())
                        .unwrap_or_else(|| "unknown".into()),
                    r.pods_running,
                    r.pods_not_running,
                    r.restarts,
                    r.findings
                ));
            }
            t
        }
    };
    super::write_output(output, body.as_bytes())?;
    Ok(Status::Clean)
}

pub fn serve(cli: &Cli, args: &ServeArgs) -> anyhow::Result<Status> {
    if args.webhook.webhook {
        return super::webhook::serve(cli, args);
    }
    if !args.metrics {
        return Err(super::webhook::nothing_to_serve().into());
    }
    let settings = super::settings(cli.config.as_deref())?;
    let connect = settings.connect(&args.connect)?;
    let scanner = scanner(&settings)?;
    let rt = cluster::runtime()?;
    rt.block_on(async {
        let clusters = cluster::connect_all(&connect).await?;
        let [c] = clusters.as_slice() else {
            anyhow::bail!("serve works on one context; {} were given", clusters.len());
        };
        let ms = settings.monitor(
            &args.flags,
            None,
            None,
            None,
            args.listen.as_deref(),
            c.default_namespace(),
        )?;
        let listener = confgate::monitor::serve::bind(&ms.listen).await?;
        eprintln!(
            "confgate: serving /metrics, /healthz and /readyz on http://{} (every {:.0} s)",
            listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or(ms.listen.clone()),
            ms.interval.as_secs_f64()
        );
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        confgate::monitor::serve::run(
            listener,
            c.clone(),
            scanner,
            ms.options,
            ms.prefix,
            ms.interval,
            stop,
        )
        .await?;
        Ok(Status::Clean)
    })
}

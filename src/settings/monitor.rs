//! `confgate monitor`'s and `confgate serve --metrics`' options: flags, `CONFGATE_*`, the
//! original suite's `MONITOR_DURATION`, `METRICS_FORMAT` and `NAMESPACE`, and `[monitor]`
//! in `confgate.toml`. Precedence: flag > `CONFGATE_*` > the suite's variable > file >
//! default.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::diag::{Code, Diagnostic};
use crate::monitor::MonitorOptions;

use super::{Settings, seconds};

/// How monitor results are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricsFormat {
    /// A summary per namespace (the default on a terminal).
    #[default]
    Text,
    Prometheus,
    Json,
    Csv,
}

impl MetricsFormat {
    fn parse(s: &str) -> Option<MetricsFormat> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Some(MetricsFormat::Text),
            "prometheus" => Some(MetricsFormat::Prometheus),
            "json" => Some(MetricsFormat::Json),
            "csv" => Some(MetricsFormat::Csv),
            _ => None,
        }
    }
}

/// How `monitor history` writes the recorded checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    /// One line per namespace per check.
    #[default]
    Text,
    Json,
    Csv,
    /// A self-contained page with a chart of health over time per namespace.
    Html,
}

/// The flags `monitor` and `serve --metrics` share.
#[derive(Args, Debug, Clone, Default)]
pub struct MonitorFlags {
    /// A namespace to watch (repeatable; default: the context's, or NAMESPACE).
    #[arg(long = "namespace", short = 'n', value_name = "NS")]
    pub namespaces: Vec<String>,
    /// Watch every namespace.
    #[arg(long, short = 'A', env = "CONFGATE_ALL_NAMESPACES")]
    pub all_namespaces: bool,
    /// Seconds between two checks (default 30).
    #[arg(long, env = "CONFGATE_INTERVAL", value_name = "SECONDS")]
    pub interval: Option<f64>,
    /// Metric name prefix (default `confgate`).
    #[arg(long, env = "CONFGATE_METRIC_PREFIX", value_name = "PREFIX")]
    pub metric_prefix: Option<String>,
    /// Where the history is kept (default `.confgate` next to confgate.toml).
    #[arg(long, env = "CONFGATE_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// The resolved options.
#[derive(Clone, Debug)]
pub struct MonitorSettings {
    pub options: MonitorOptions,
    pub interval: Duration,
    pub duration: Duration,
    pub format: MetricsFormat,
    pub alert_threshold: u32,
    pub prefix: String,
    pub state_dir: PathBuf,
    pub listen: String,
    pub alerts: crate::monitor::alert::AlertSection,
    /// The Prometheus server that scrapes confgate (`prometheus-url`, else
    /// `CONFGATE_PROMETHEUS_URL`); only `doctor` uses it (its `/-/healthy`).
    pub prometheus_url: Option<String>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Settings {
    /// The options of `monitor` / `serve --metrics`; `default_namespace` is the context's.
    #[allow(clippy::too_many_arguments)]
    pub fn monitor(
        &self,
        flags: &MonitorFlags,
        duration: Option<f64>,
        format: Option<MetricsFormat>,
        alert_threshold: Option<u32>,
        listen: Option<&str>,
        default_namespace: &str,
    ) -> Result<MonitorSettings, Diagnostic> {
        let file = self.file.monitor.clone().unwrap_or_default();
        let mut namespaces = flags.namespaces.clone();
        if namespaces.is_empty() {
            if let Some(v) = env("CONFGATE_NAMESPACE").or_else(|| env("NAMESPACE")) {
                namespaces = v.split(',').map(|s| s.trim().to_string()).collect();
            } else if let Some(f) = file.namespaces.clone() {
                namespaces = f;
            } else {
                namespaces = vec![default_namespace.to_string()];
            }
        }
        namespaces.retain(|n| !n.is_empty());
        for n in &namespaces {
            if !crate::k8s::is_dns1123_label(n) {
                return Err(Diagnostic::new(
                    Code::Settings,
                    format!("namespace {n:?} is not a valid namespace name"),
                ));
            }
        }
        let duration = match duration {
            Some(d) => d,
            None => match env("CONFGATE_DURATION").or_else(|| env("MONITOR_DURATION")) {
                Some(v) => v.parse::<f64>().map_err(|_| {
                    Diagnostic::new(
                        Code::Settings,
                        format!("MONITOR_DURATION={v:?}: expected seconds"),
                    )
                })?,
                None => file.duration.unwrap_or(300.0),
            },
        };
        let format = match format {
            Some(f) => f,
            None => match env("CONFGATE_METRICS_FORMAT").or_else(|| env("METRICS_FORMAT")) {
                Some(v) => MetricsFormat::parse(&v).ok_or_else(|| {
                    Diagnostic::new(
                        Code::Settings,
                        format!("METRICS_FORMAT={v:?}: expected prometheus, json, csv or text"),
                    )
                })?,
                None => match file.format.as_deref() {
                    Some(f) => MetricsFormat::parse(f).ok_or_else(|| {
                        Diagnostic::new(
                            Code::Settings,
                            format!(
                                "[monitor] format = {f:?}: expected prometheus, json, csv or text"
                            ),
                        )
                    })?,
                    None => MetricsFormat::Text,
                },
            },
        };
        let prefix = flags
            .metric_prefix
            .clone()
            .or(file.metric_prefix)
            .unwrap_or_else(|| "confgate".into());
        if !crate::monitor::expose::valid_prefix(&prefix) {
            return Err(Diagnostic::new(
                Code::Settings,
                format!(
                    "metric prefix {prefix:?}: a metric name starts with a letter or _ and has only letters, digits, _ and :"
                ),
            ));
        }
        let alert_threshold = alert_threshold.or(file.alert_threshold).unwrap_or(80);
        if alert_threshold > 100 {
            return Err(Diagnostic::new(
                Code::Settings,
                format!("alert threshold {alert_threshold}: a score is 0 to 100"),
            ));
        }
        let interval = seconds("interval", flags.interval.or(file.interval).unwrap_or(30.0))?;
        if interval.is_zero() {
            return Err(Diagnostic::new(
                Code::Settings,
                "interval: give a positive number of seconds",
            ));
        }
        // Files named in the routes are relative to confgate.toml's directory.
        let mut alerts = file.alerts.unwrap_or_default();
        for r in &mut alerts.routes {
            for p in [&mut r.password_file, &mut r.ca_file].into_iter().flatten() {
                *p = self.dir_abs().join(&*p);
            }
        }
        let state_dir = flags
            .state_dir
            .clone()
            .map(|p| self.cwd.join(p))
            .or_else(|| file.state_dir.as_ref().map(|p| self.dir_abs().join(p)))
            .unwrap_or_else(|| self.dir_abs().join(".confgate"));
        Ok(MonitorSettings {
            options: MonitorOptions {
                namespaces,
                all_namespaces: flags.all_namespaces || file.all_namespaces.unwrap_or(false),
                weights: file.health_weights.unwrap_or_default(),
                state_dir: Some(state_dir.clone()),
            },
            interval,
            duration: seconds("duration", duration)?,
            format,
            alert_threshold,
            prefix,
            state_dir,
            listen: listen
                .map(str::to_string)
                .or(file.listen)
                .unwrap_or_else(|| "127.0.0.1:9464".into()),
            alerts,
            prometheus_url: env("CONFGATE_PROMETHEUS_URL").or(file.prometheus_url),
        })
    }
}

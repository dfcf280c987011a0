//! `confgate doctor`: resolve the settings each command would use, run the checks of
//! `orchestrate::doctor`, write one line per check (or JSON); exit 1 when a check says a
//! command will fail.

use confgate::orchestrate::doctor::{self, Check, State};
use confgate::settings::{MonitorFlags, ScanFlags};

use crate::Status;
use crate::cli::{Cli, DoctorArgs, ListFormat};

pub fn run(cli: &Cli, args: &DoctorArgs) -> anyhow::Result<Status> {
    let settings = super::settings(cli.config.as_deref())?;
    let connect = settings.connect(&args.connect)?;
    let namespace = super::status::namespace_from_env(args.namespace.as_deref());
    let backup = settings.backup(&args.backup)?;
    let mut checks: Vec<Check> = Vec::new();
    let rt = confgate::cluster::runtime()?;
    rt.block_on(async {
        checks.extend(doctor::cluster_checks(&connect, namespace.as_deref()).await);
        checks.push(doctor::key_check(&backup.key));
        checks.push(doctor::store_check(&backup.store, &settings.cwd, &backup.store_options).await);
        // The monitoring endpoints, when the settings name any.
        match settings.monitor(&MonitorFlags::default(), None, None, None, None, "default") {
            Ok(m) => match doctor::endpoints(m.prometheus_url.as_deref(), &m.alerts) {
                Ok(eps) if eps.is_empty() => checks.push(Check {
                    name: "monitoring".into(),
                    state: State::Skipped,
                    detail: "no Prometheus URL or alert routes configured".into(),
                    fix: None,
                    missing_permissions: Vec::new(),
                }),
                Ok(eps) => {
                    checks.extend(doctor::endpoint_checks(&eps, m.alerts.delivery_timeout()).await)
                }
                Err(e) => checks.push(settings_problem("monitoring", e.to_string())),
            },
            Err(e) => checks.push(settings_problem("monitoring", e.to_string())),
        }
    });
    checks.push(doctor::state_dir_check(&backup.state_dir));
    match settings.scan(&ScanFlags::default()) {
        Ok(s) => checks.push(doctor::policies_check(&s.scan)),
        Err(e) => checks.push(settings_problem("policies", e.to_string())),
    }
    let out = match args.format {
        ListFormat::Text => doctor::text(&checks),
        ListFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({
                "ok": !doctor::anything_missing(&checks),
                "checks": checks,
            }))?
        ),
    };
    super::write_output(args.output.as_deref(), out.as_bytes())?;
    Ok(if doctor::anything_missing(&checks) {
        Status::Findings
    } else {
        Status::Clean
    })
}

fn settings_problem(name: &str, detail: String) -> Check {
    Check {
        name: name.into(),
        state: State::Missing,
        detail,
        fix: Some("fix the setting named in confgate.toml (or its CONFGATE_* variable)".into()),
        missing_permissions: Vec::new(),
    }
}

//! `confgate validate`: exit 0 when the configuration is valid, 1 when it is not, 2 when
//! the tool could not do its job (unreadable input, a broken schema or policy, bad settings).

use confgate::settings::ScanFlags;
use confgate::validate::{self, ValidateOptions, config, report};

use crate::Status;
use crate::cli::{Cli, ValidateArgs};

pub fn run(cli: &Cli, args: &ValidateArgs, color: bool) -> anyhow::Result<Status> {
    let cwd = std::env::current_dir()?;
    let settings_file = super::config_file(cli.config.as_deref(), &cwd)?;
    let section = match &settings_file.path {
        Some(p) => config::read(p)?,
        None => None,
    };
    let conf = section.clone().unwrap_or_default();
    let config_dir = cwd.join(&settings_file.dir);
    let env = args.environment.as_deref();

    let mut paths: Vec<String> = args.config_dir.clone();
    paths.extend(args.paths.iter().cloned());
    if paths.is_empty() {
        match &conf.config_dir {
            Some(d) if d.contains("{environment}") && env.is_none() => anyhow::bail!(
                "config-dir {d:?} in {} needs --environment",
                settings_file
                    .path
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            ),
            Some(d) => {
                let d = d.replace("{environment}", env.unwrap_or_default());
                paths.push(config_dir.join(d).to_string_lossy().into_owned());
            }
            None => paths.push(".".to_string()),
        }
    }

    let flags = ScanFlags {
        fail_on: args.fail_on,
        exclude: args.exclude.clone(),
        jobs: args.jobs,
        engine: args.engine,
        kube_version: args
            .kube_version
            .clone()
            .or_else(|| conf.kube_version.clone()),
        ..ScanFlags::default()
    };
    let s = super::scan_settings(&flags, &settings_file, &cwd)?;
    let business_policies = if args.business_policy.is_empty() {
        conf.business_policy
            .iter()
            .flatten()
            .map(|p| config_dir.join(p))
            .collect()
    } else {
        args.business_policy.clone()
    };
    let opts = ValidateOptions {
        paths,
        environment: args.environment.clone(),
        strict: args.strict || conf.strict.unwrap_or(false),
        security_compliance: args.security_compliance || conf.security_compliance.unwrap_or(false),
        kube_version: args
            .kube_version
            .clone()
            .or_else(|| conf.kube_version.clone())
            .unwrap_or_else(|| s.scan.kube_version.to_string()),
        schemas: conf.schemas.clone(),
        base_dir: config_dir.clone(),
        business_params: config::business_params(env, section.as_ref()),
        business_policies,
        builtin_business: !args.no_builtin_business_rules
            && conf.builtin_business_rules.unwrap_or(true),
        gate: s.gate,
        scan: s.scan,
    };
    let v = validate::validate(&opts, &cwd)?;
    let format = args.output_format.unwrap_or_default();
    let to_stdout = args.output.as_deref().is_none_or(|p| p.as_os_str() == "-");
    let bytes = report::render(&v, format, args.detailed_report, color && to_stdout)
        .map_err(|e| anyhow::anyhow!("cannot render the report: {e}"))?;
    super::write_output(args.output.as_deref(), &bytes)?;
    if !cli.quiet && format != report::ValidateFormat::Text {
        for n in &v.notes {
            eprintln!("confgate: note: {n}");
        }
        for e in &v.tool_errors {
            eprintln!("confgate: error: {e}");
        }
    }
    Ok(if !v.tool_errors.is_empty() {
        Status::Error
    } else if !v.valid() {
        Status::Findings
    } else {
        Status::Clean
    })
}

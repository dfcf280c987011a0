//! The original suite's command names that are not plain aliases: `security-scan` and
//! `security-audit` / `complete-security-audit` translate their options into `scan`'s and
//! `audit`'s and run those commands.

use std::path::Path;

use clap::ValueEnum;
use confgate::catalog::{Framework, Severity};
use confgate::report::OutputFormat;

use crate::Status;
use crate::cli::{Cli, SecurityAuditArgs, SecurityScanArgs};

/// A framework as the suite wrote it (GDPR, SOC2, CIS, NIST) or as confgate names it.
pub fn framework(name: &str) -> anyhow::Result<Framework> {
    let lower = name.trim().to_ascii_lowercase();
    let id = match lower.as_str() {
        "cis" => "cis-k8s",
        "nist" => "nist-800-53",
        "pss" => "pss-restricted",
        "nsa" => "nsa-cisa",
        other => other,
    };
    Framework::from_str(id, true).map_err(|_| {
        anyhow::anyhow!(
            "unknown framework {name:?}: GDPR, SOC2, CIS, NIST, or one of {}",
            Framework::value_variants()
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// The report format a file's extension names.
pub fn format_of(path: &Path) -> anyhow::Result<OutputFormat> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    Ok(match ext.as_str() {
        "html" | "htm" => OutputFormat::Html,
        "json" => OutputFormat::Json,
        "sarif" => OutputFormat::Sarif,
        "csv" => OutputFormat::Csv,
        "md" => OutputFormat::Markdown,
        "xml" => OutputFormat::Junit,
        "txt" | "" => OutputFormat::Text,
        other => anyhow::bail!(
            "--export-report {}: cannot tell the format from .{other} (html, json, sarif, csv, md, xml, txt)",
            path.display()
        ),
    })
}

pub fn security_scan(cli: &Cli, args: &SecurityScanArgs, color: bool) -> anyhow::Result<Status> {
    let mut scan = args.scan.clone();
    if args.quick {
        scan.flags.severity = Some(Severity::High);
    }
    if let Some(f) = &args.compliance_check {
        scan.flags.framework.push(framework(f)?);
    }
    if let Some(p) = &args.export_report {
        if scan.flags.format.is_none() {
            scan.flags.format = Some(format_of(p)?);
        }
        scan.flags.output = Some(p.clone());
    }
    super::scan::run(cli, &scan, color)
}

pub fn security_audit(cli: &Cli, args: &SecurityAuditArgs) -> anyhow::Result<Status> {
    let mut scan = args.scan.clone();
    if args.quick {
        scan.flags.severity = Some(Severity::High);
    }
    if let Some(f) = &args.compliance {
        scan.flags.framework.push(framework(f)?);
    }
    if let Some(p) = &args.export_report {
        scan.flags.format = Some(OutputFormat::Html);
        scan.flags.output = Some(p.clone());
    }
    super::audit::run(cli, &crate::cli::AuditArgs { scan })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suites_framework_names_and_report_extensions_are_understood() {
        assert_eq!(framework("GDPR").unwrap(), Framework::Gdpr);
        assert_eq!(framework("SOC2").unwrap(), Framework::Soc2);
        assert_eq!(framework("CIS").unwrap(), Framework::CisK8s);
        assert_eq!(framework("nist-800-190").unwrap(), Framework::Nist800190);
        assert!(framework("HIPAA").is_err());
        assert_eq!(format_of(Path::new("r.html")).unwrap(), OutputFormat::Html);
        assert_eq!(
            format_of(Path::new("r.SARIF")).unwrap(),
            OutputFormat::Sarif
        );
        assert!(format_of(Path::new("r.pdf")).is_err());
    }
}

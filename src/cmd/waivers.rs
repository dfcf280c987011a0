//! `confgate waivers audit`.

use std::fmt::Write as _;

use confgate::report::OutputFormat;
use confgate::waiver::WaiverStatus;

use crate::Status;
use crate::cli::{Cli, WaiversCommand};

pub fn run(cli: &Cli, c: &WaiversCommand) -> anyhow::Result<Status> {
    let WaiversCommand::Audit(args) = c;
    let (s, outcome) = super::scan::scan(cli, args)?;
    let uses = &outcome.waivers;
    let out = if s.format == OutputFormat::Json {
        serde_json::to_string_pretty(uses)? + "\n"
    } else {
        let mut t = String::new();
        for u in uses {
            let status = match u.status {
                WaiverStatus::Active => "active",
                WaiverStatus::Expiring => "EXPIRING",
                WaiverStatus::Expired => "EXPIRED",
                WaiverStatus::Unused => "UNUSED",
            };
            let _ = writeln!(
                t,
                "{status:<9} {} rule={} owner={} expires={} ({} day(s) left) matched={}{}",
                u.origin,
                u.rule.as_deref().unwrap_or("-"),
                u.owner,
                u.expires,
                u.days_left,
                u.matched,
                u.ticket
                    .as_deref()
                    .map(|t| format!(" ticket={t}"))
                    .unwrap_or_default()
            );
        }
        let count = |st: WaiverStatus| uses.iter().filter(|u| u.status == st).count();
        let _ = writeln!(
            t,
            "{} waivers: {} active, {} expiring, {} expired, {} unused",
            uses.len(),
            count(WaiverStatus::Active),
            count(WaiverStatus::Expiring),
            count(WaiverStatus::Expired),
            count(WaiverStatus::Unused)
        );
        t
    };
    super::write_output(s.output.as_deref(), out.as_bytes())?;
    if !outcome.errors.is_empty() {
        return Ok(Status::Error);
    }
    Ok(
        if uses
            .iter()
            .any(|u| matches!(u.status, WaiverStatus::Expired | WaiverStatus::Unused))
        {
            Status::Findings
        } else {
            Status::Clean
        },
    )
}

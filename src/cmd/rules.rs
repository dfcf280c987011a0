//! `confgate rules list|explain`.

use confgate::catalog::Catalog;

use crate::Status;
use crate::cli::{ListFormat, RulesCommand};

pub fn run(c: &RulesCommand) -> anyhow::Result<Status> {
    let catalog = Catalog::builtin()?;
    match c {
        RulesCommand::List { format, framework } => {
            let rules: Vec<_> = catalog
                .rules
                .iter()
                .filter(|r| framework.is_none_or(|f| r.in_framework(f)))
                .collect();
            let out = match format {
                ListFormat::Json => {
                    let items: Vec<_> = rules
                        .iter()
                        .map(|r| {
                            serde_json::json!({
                                "id": r.id, "name": r.name, "severity": r.severity,
                                "category": r.category, "summary": r.summary,
                                "kinds": r.kinds, "frameworks": r.frameworks,
                            })
                        })
                        .collect();
                    serde_json::to_string_pretty(&items)? + "\n"
                }
                ListFormat::Text => {
                    let mut s = String::new();
                    for r in &rules {
                        s.push_str(&format!(
                            "{:<7} {:<9} {:<40} {}\n",
                            r.id,
                            r.severity.as_str(),
                            r.name,
                            r.summary
                        ));
                    }
                    s.push_str(&format!("{} rules\n", rules.len()));
                    s
                }
            };
            super::write_output(None, out.as_bytes())?;
        }
        RulesCommand::Explain { rule } => {
            let Some(r) = catalog.find(rule) else {
                anyhow::bail!("no rule {rule:?} (see `confgate rules list`)");
            };
            let mut s = format!(
                "{} {} [{}]\n\n{}\n\nApplies to: {}\n\nFix: {}\n\n{}\n",
                r.id,
                r.name,
                r.severity,
                r.summary,
                r.kinds.join(", "),
                r.remediation,
                r.help.trim()
            );
            if !r.frameworks.is_empty() {
                s.push_str("\nFrameworks:\n");
                for (f, controls) in &r.frameworks {
                    s.push_str(&format!("  {f}: {}\n", controls.join(", ")));
                }
            }
            super::write_output(None, s.as_bytes())?;
        }
    }
    Ok(Status::Clean)
}

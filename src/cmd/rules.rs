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
                for (f, controls) in r.frameworks.iter() {
                    s.push_str(&format!("  {f}: {}\n", controls.join(", ")));
                }
            }
            super::write_output(None, s.as_bytes())?;
        }
        RulesCommand::Export {
            format,
            framework,
            output,
        } => {
            let s = confgate::ruledocs::export(&catalog, *format, *framework)
                .map_err(anyhow::Error::msg)?;
            super::write_output(output.as_deref(), s.as_bytes())?;
        }
        RulesCommand::Docs { output, check } => {
            let pages = confgate::ruledocs::all_pages(&catalog);
            let mut stale = Vec::new();
            for (name, text) in &pages {
                let path = output.join(name);
                if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                    stale.push(path);
                }
            }
            // Pages of rules that no longer exist are stale too.
            if let Ok(entries) = std::fs::read_dir(output) {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.ends_with(".md") && !pages.iter().any(|(n, _)| *n == name) {
                        stale.push(e.path());
                    }
                }
            }
            if *check {
                for p in &stale {
                    eprintln!("stale: {}", p.display());
                }
                if !stale.is_empty() {
                    eprintln!(
                        "rule docs are out of date: run `confgate rules docs --output {}`",
                        output.display()
                    );
                    return Ok(Status::Findings);
                }
                return Ok(Status::Clean);
            }
            std::fs::create_dir_all(output)?;
            for p in &stale {
                if !pages.iter().any(|(n, _)| output.join(n) == *p) {
                    std::fs::remove_file(p)?;
                }
            }
            for (name, text) in &pages {
                confgate::fsutil::write_atomic(&output.join(name), text.as_bytes())?;
            }
            eprintln!("wrote {} pages to {}", pages.len(), output.display());
        }
    }
    Ok(Status::Clean)
}

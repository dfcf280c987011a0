//! `--format junit`: JUnit XML for GitLab, Jenkins and other CI dashboards. One test suite
//! per rule, one test case per rule × resource it applies to, a `<failure>` per finding.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::ReportContext;
use crate::diag::Diagnostic;
use crate::finding::Finding;

/// Escapes text for XML attributes and content (see `escape::xml`).
pub fn xml_escape(s: &str) -> String {
    super::escape::xml(s, false)
}

pub fn render(ctx: &ReportContext<'_>) -> Result<Vec<u8>, Diagnostic> {
    let o = ctx.outcome;
    // Findings by (rule, file, document index).
    let mut by_case: BTreeMap<(&str, &str, usize), Vec<&Finding>> = BTreeMap::new();
    for f in o.findings.iter().filter(|f| f.suppressed.is_none()) {
        by_case
            .entry((f.rule_id.as_str(), f.file.as_str(), f.document_index))
            .or_default()
            .push(f);
    }
    let mut suites = String::new();
    let (mut total_tests, mut total_failures) = (0usize, 0usize);
    for rule in &o.rules {
        let mut cases = String::new();
        let (mut tests, mut failures) = (0usize, 0usize);
        for r in o
            .resources
            .iter()
            .filter(|r| rule.applies_to_object(&r.resource.api_version, &r.resource.kind))
        {
            tests += 1;
            let name = match &r.resource.namespace {
                Some(ns) => format!("{} {}/{}", r.resource.kind, ns, r.resource.name),
                None => format!("{} {}", r.resource.kind, r.resource.name),
            };
            let found = by_case.get(&(rule.id.as_str(), r.file.as_str(), r.document_index));
            let line = found.and_then(|f| f.first()).map_or(0, |f| f.line);
            let _ = write!(
                cases,
                "    <testcase name=\"{}\" classname=\"confgate.{}.{}\" file=\"{}\"",
                xml_escape(&name),
                xml_escape(&rule.id),
                xml_escape(&rule.name),
                xml_escape(&r.file)
            );
            if line > 0 {
                let _ = write!(cases, " line=\"{line}\"");
            }
            match found {
                None => cases.push_str("/>\n"),
                Some(list) => {
                    failures += 1;
                    cases.push_str(">\n");
                    for f in list {
                        let body = format!(
                            "{}:{}:{} {}\n{}\nfix: {}",
                            xml_escape(&f.file),
                            f.line,
                            f.column,
                            xml_escape(&f.path),
                            xml_escape(&f.message),
                            super::escape::xml(&rule.remediation, true)
                        );
                        let _ = writeln!(
                            cases,
                            "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                            xml_escape(&f.message),
                            f.severity,
                            body
                        );
                    }
                    cases.push_str("    </testcase>\n");
                }
            }
        }
        if tests == 0 {
            continue;
        }
        total_tests += tests;
        total_failures += failures;
        let _ = write!(
            suites,
            "  <testsuite name=\"{} {}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n{cases}  </testsuite>\n",
            xml_escape(&rule.id),
            xml_escape(&rule.name)
        );
    }
    if !o.errors.is_empty() {
        let mut cases = String::new();
        for e in &o.errors {
            let _ = writeln!(
                cases,
                "    <testcase name=\"{}\" classname=\"confgate.input\" file=\"{}\">\n      <error message=\"{}\"/>\n    </testcase>",
                xml_escape(e.file_name().unwrap_or_default()),
                xml_escape(e.file_name().unwrap_or_default()),
                xml_escape(&e.to_string())
            );
        }
        total_tests += o.errors.len();
        let _ = write!(
            suites,
            "  <testsuite name=\"confgate input errors\" tests=\"{n}\" failures=\"0\" errors=\"{n}\" skipped=\"0\">\n{cases}  </testsuite>\n",
            n = o.errors.len()
        );
    }
    let errors = o.errors.len();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"confgate\" tests=\"{total_tests}\" failures=\"{total_failures}\" errors=\"{errors}\">\n{suites}</testsuites>\n"
    );
    Ok(xml.into_bytes())
}

//! `confgate policy verify`: runs Gatekeeper test suites the way `gator verify` does.
//!
//! A suite (`kind: Suite`, `apiVersion: test.gatekeeper.sh/v1alpha1`) lists tests; each test
//! names a template and a constraint (paths relative to the suite file) and cases; each case
//! names an object file, optionally inventory files (the objects `data.inventory` holds), and
//! assertions: `violations: yes | no | N`, optionally counting only the violations whose
//! message matches the regex `message`. A malformed suite, template or constraint is an error
//! (one line, naming the file and line); a case whose assertions fail is a failure.
//!
//! [`suite`] reads and checks suite files; this module finds them, builds each test's
//! Gatekeeper from its template and constraint, runs the cases and judges the assertions.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::catalog::Severity;
use crate::document::Document;
use crate::source::{self, LoadOptions};

use super::custom::gatekeeper::{Gatekeeper, NamespaceLabels, Object, objects_in};
use super::custom::{Hit, Severities, read_text, walk, yaml_documents};
use super::{EngineValue, inventory_data};
use crate::diag::{Code, Diagnostic};

mod suite;

use suite::{Assertion, Case, Expect, Suite, Test, bad, parse_suite, text};

/// How one case ended.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", tag = "outcome", content = "reason")]
pub enum CaseOutcome {
    Pass,
    Fail(String),
    Skip,
}

/// The result of one case.
#[derive(Clone, Debug, Serialize)]
pub struct CaseResult {
    /// The suite file (display path).
    pub suite: String,
    pub test: String,
    pub case: String,
    #[serde(flatten)]
    pub outcome: CaseOutcome,
}

/// The results of every suite.
#[derive(Clone, Debug, Default, Serialize)]
pub struct VerifyRun {
    pub results: Vec<CaseResult>,
}

impl VerifyRun {
    fn count(&self, f: impl Fn(&CaseOutcome) -> bool) -> usize {
        self.results.iter().filter(|r| f(&r.outcome)).count()
    }

    pub fn passed(&self) -> usize {
        self.count(|o| *o == CaseOutcome::Pass)
    }

    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, CaseOutcome::Fail(_)))
    }

    pub fn skipped(&self) -> usize {
        self.count(|o| *o == CaseOutcome::Skip)
    }
}

fn is_yaml(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// Runs every suite found below `paths` (a suite file, or a directory searched recursively).
pub fn verify(paths: &[PathBuf], cwd: &Path) -> Result<VerifyRun, Diagnostic> {
    let mut suites = Vec::new();
    for p in paths {
        let direct = cwd.join(p).is_file();
        let mut found = 0;
        for (abs, display) in walk(p, cwd, is_yaml)? {
            let contents = read_text(&abs, &display)?;
            if !direct && !contents.contains("Suite") {
                continue;
            }
            let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
            for doc in yaml_documents(&display, &contents)? {
                if doc.root.get("kind").and_then(text) == Some("Suite") {
                    suites.push(parse_suite(&display, &dir, &doc.root)?);
                    found += 1;
                }
            }
        }
        if found == 0 {
            let shown = source::display_path(p, cwd);
            let what = if direct {
                "is not a Gatekeeper test suite (kind: Suite)"
            } else {
                "holds no Gatekeeper test suites (kind: Suite)"
            };
            return Err(Diagnostic::new(Code::PolicyLoad, what.to_string()).file(shown));
        }
    }
    let mut run = VerifyRun::default();
    for s in &suites {
        run_suite(s, cwd, &mut run)?;
    }
    Ok(run)
}

/// Loads the objects of one file (`what` describes it for messages).
fn objects_of(p: &Path, cwd: &Path, suite: &str, line: u32) -> Result<Vec<Document>, Diagnostic> {
    let display = source::display_path(p, cwd);
    if !p.is_file() {
        return Err(bad(suite, line, format!("{display}: no such file")));
    }
    let input = source::Input::File {
        path: p.to_path_buf(),
        display: display.clone(),
    };
    let loaded = source::load_one(&input, &LoadOptions::default());
    if let Some(e) = loaded.errors.first() {
        return Err(e.clone());
    }
    Ok(loaded.documents)
}

/// The template and the constraint of one test.
fn gatekeeper_of(s: &Suite, t: &Test, cwd: &Path) -> Result<Gatekeeper, Diagnostic> {
    let load = |p: &Path, want_template: bool| -> Result<Object, Diagnostic> {
        let display = source::display_path(p, cwd);
        if !p.is_file() {
            return Err(bad(
                &s.file,
                t.line,
                format!("test {:?}: {display}: no such file", t.name),
            ));
        }
        let text = read_text(p, &display)?;
        let what = if want_template {
            "ConstraintTemplate"
        } else {
            "constraint"
        };
        objects_in(&display, &text)?
            .into_iter()
            .find(|o| matches!(o, Object::Template(_)) == want_template)
            .ok_or_else(|| {
                Diagnostic::new(
                    Code::PolicyLoad,
                    format!(
                        "holds no Gatekeeper {what} (needed by test {:?} of {})",
                        t.name, s.file
                    ),
                )
                .file(display)
            })
    };
    let template = load(&t.template, true)?;
    let constraint = load(&t.constraint, false)?;
    if let (Object::Template(td), Object::Constraint(cd)) = (&template, &constraint)
        && td.kind != cd.kind
    {
        return Err(bad(
            &cd.file,
            cd.line,
            format!(
                "constraint kind {} does not match the test's template kind {} ({})",
                cd.kind, td.kind, td.file
            ),
        ));
    }
    let sev = Severities {
        deny: Severity::High,
        warn: Severity::Medium,
    };
    Gatekeeper::build(
        vec![template, constraint],
        &sev,
        std::time::Duration::from_secs(30),
    )
}

fn run_suite(s: &Suite, cwd: &Path, run: &mut VerifyRun) -> Result<(), Diagnostic> {
    for t in &s.tests {
        let result = |case: &str, outcome: CaseOutcome| CaseResult {
            suite: s.file.clone(),
            test: t.name.clone(),
            case: case.to_string(),
            outcome,
        };
        if t.skip {
            run.results
                .extend(t.cases.iter().map(|c| result(&c.name, CaseOutcome::Skip)));
            continue;
        }
        let gk = gatekeeper_of(s, t, cwd)?;
        for c in &t.cases {
            if c.skip {
                run.results.push(result(&c.name, CaseOutcome::Skip));
                continue;
            }
            let outcome = run_case(s, &gk, c, cwd)?;
            run.results.push(result(&c.name, outcome));
        }
    }
    Ok(())
}

fn run_case(s: &Suite, gk: &Gatekeeper, c: &Case, cwd: &Path) -> Result<CaseOutcome, Diagnostic> {
    let objects = objects_of(&c.object, cwd, &s.file, c.line)?;
    let [object] = objects.as_slice() else {
        return Err(bad(
            &s.file,
            c.line,
            format!(
                "case {:?}: {} holds {} Kubernetes objects; a case needs exactly one",
                c.name,
                source::display_path(&c.object, cwd),
                objects.len()
            ),
        ));
    };
    let reviewed = admission_request(object).map_err(|why| {
        bad(
            &s.file,
            c.line,
            format!(
                "case {:?}: {}: {why}",
                c.name,
                source::display_path(&c.object, cwd)
            ),
        )
    })?;
    let (object, request) = match &reviewed {
        Some((doc, request)) => (doc, Some(request)),
        None => (object, None),
    };
    let mut inventory = Vec::new();
    for p in &c.inventory {
        inventory.extend(objects_of(p, cwd, &s.file, c.line)?);
    }
    let inputs: Vec<EngineValue> = inventory
        .iter()
        .map(|d| EngineValue::from_node(&d.tree))
        .collect();
    let data = inventory_data(
        inventory
            .iter()
            .zip(&inputs)
            .map(|(d, i)| (crate::k8s::cluster_scoped(&d.resource.kind), &d.resource, i)),
        serde_json::json!({}),
    );
    let mut engines = gk.prepare(Some(data.value()))?;
    let input = EngineValue::from_node(&object.tree);
    let (found, failed) = gk.review_request(
        &mut engines,
        object,
        &input,
        &NamespaceLabels::of(&inventory.iter().collect::<Vec<_>>()),
        request,
    );
    if let Some((_, m)) = failed.first() {
        return Ok(CaseOutcome::Fail(format!("evaluation failed: {m}")));
    }
    let hits: Vec<&Hit> = found.iter().map(|(_, h)| h).collect();
    for (i, a) in c.assertions.iter().enumerate() {
        if let Some(why) = check(a, &hits) {
            let which = if c.assertions.len() > 1 {
                format!("assertion {}: ", i + 1)
            } else {
                String::new()
            };
            return Ok(CaseOutcome::Fail(format!("{which}{why}")));
        }
    }
    Ok(CaseOutcome::Pass)
}

/// A case object that is an `AdmissionReview` (as gator accepts them, for UPDATE and DELETE
/// requests and real user info): the object under review (`request.object`, or
/// `request.oldObject` for a DELETE) as a document, and the request's fields. `None` for an
/// ordinary object.
fn admission_request(doc: &Document) -> Result<Option<(Document, serde_json::Value)>, String> {
    if doc.resource.kind != "AdmissionReview" {
        return Ok(None);
    }
    let Some(request) = doc.tree.get("request") else {
        return Err("an AdmissionReview without `request`".to_string());
    };
    let under_review = ["object", "oldObject"]
        .iter()
        .filter_map(|k| request.get(k))
        .find(|n| n.get("kind").is_some())
        .ok_or("an AdmissionReview whose request has neither `object` nor `oldObject`")?;
    let mut object = Document::from_tree(
        doc.file.clone(),
        doc.index,
        doc.item,
        under_review.clone(),
        None,
    )
    .ok_or("the object under review lacks apiVersion or kind")?;
    let request = request.to_json();
    // Gatekeeper matches on the request's kind and namespace, not on what the object says.
    let text = |path: &str| request.pointer(path).and_then(serde_json::Value::as_str);
    if let (Some(group), Some(version), Some(kind)) = (
        text("/kind/group"),
        text("/kind/version"),
        text("/kind/kind"),
    ) {
        object.resource.api_version = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        object.resource.kind = kind.to_string();
    }
    if let Some(ns) = text("/namespace").filter(|ns| !ns.is_empty()) {
        object.resource.namespace = Some(ns.to_string());
    }
    Ok(Some((object, request)))
}

/// Why an assertion fails, if it does.
fn check(a: &Assertion, hits: &[&Hit]) -> Option<String> {
    let matching: Vec<&&Hit> = hits
        .iter()
        .filter(|h| a.message.as_ref().is_none_or(|r| r.is_match(&h.msg)))
        .collect();
    let n = matching.len();
    let noun = if n == 1 { "violation" } else { "violations" };
    let what = match &a.message {
        Some(r) => format!("{noun} matching /{}/", r.as_str()),
        None => noun.to_string(),
    };
    let msgs: Vec<String> = hits
        .iter()
        .take(3)
        .map(|h| format!("{:?}", h.msg))
        .collect();
    let shown = if msgs.is_empty() {
        String::new()
    } else {
        format!(
            " (violations: {}{})",
            msgs.join(", "),
            if hits.len() > 3 { ", …" } else { "" }
        )
    };
    let want = match a.expect {
        Expect::Some if n == 0 => "at least 1".to_string(),
        Expect::None if n > 0 => "none".to_string(),
        Expect::Exactly(want) if n != want => format!("exactly {want}"),
        _ => return None,
    };
    Some(format!("got {n} {what}, want {want}{shown}"))
}

#[cfg(test)]
mod tests {
    use regex::Regex;

    use super::*;

    fn hit(msg: &str) -> Hit {
        Hit {
            msg: msg.to_string(),
            ..Hit::default()
        }
    }

    #[test]
    fn assertions_count_matching_violations() {
        let a = hit("missing label owner");
        let b = hit("image from docker.io");
        let hits = vec![&a, &b];
        let some = Assertion {
            expect: Expect::Some,
            message: None,
        };
        assert_eq!(check(&some, &hits), None);
        let none = Assertion {
            expect: Expect::None,
            message: None,
        };
        assert!(check(&none, &hits).is_some_and(|w| w.contains("got 2 violations, want none")));
        let one = Assertion {
            expect: Expect::Exactly(1),
            message: Regex::new("label").ok(),
        };
        assert_eq!(check(&one, &hits), None);
        let zero = Assertion {
            expect: Expect::Exactly(0),
            message: Regex::new("^image").ok(),
        };
        assert!(check(&zero, &hits).is_some());
    }
}

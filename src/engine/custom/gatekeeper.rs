//! Gatekeeper ConstraintTemplates and Constraints.
//!
//! Each template's Rego (`spec.targets[0].rego` + `libs`, or the `engine: Rego` entry of
//! `spec.targets[0].code`) is compiled into its own regorus engine, so packages of different
//! templates never meet. A Constraint (kind = the template's CRD kind, group
//! `constraints.gatekeeper.sh`) selects objects with `spec.match` and passes
//! `spec.parameters`; objects are reviewed as admission requests for CREATE, as Gatekeeper's
//! audit and `gator` do: `input.review` (`object`, `kind`, `name`, `namespace`, `operation`,
//! `userInfo`) and `input.parameters`, with the scan's inventory as `data.inventory`.

use std::collections::BTreeMap;
use std::time::Duration;

use regorus::Value;

use crate::catalog::{Rule, Severity};
use crate::diag::Diagnostic;
use crate::document::Document;
use crate::finding::Finding;

use super::{
    Failures, Hits, Severities, SourceMap, add_rego, check_functions, check_recursion, doc_error,
    eval_failure, finding, hits, new_engine, user_rule,
};
use crate::engine::failure::{no_such_rule, timed_out};
use crate::engine::{EngineValue, one_line};

mod matching;
mod nodes;
mod parse;

pub(crate) use matching::NamespaceLabels;
use matching::Target;
use nodes::bad;
use parse::{Action, ConstraintDef, TemplateDef};
pub(crate) use parse::{Object, objects_in};

/// A compiled template.
#[derive(Debug)]
struct Template {
    def: TemplateDef,
    /// `data.<package>.violation`
    violation: String,
    engine: regorus::Engine,
    map: SourceMap,
}

/// A constraint bound to its template.
#[derive(Debug)]
struct Constraint {
    def: ConstraintDef,
    template: usize,
    parameters: Value,
    rule: Rule,
}

/// Templates and constraints, compiled and checked.
#[derive(Debug)]
pub(crate) struct Gatekeeper {
    templates: Vec<Template>,
    constraints: Vec<Constraint>,
    timeout: Duration,
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::from(
        pairs
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// A minimal review for load-time checks.
fn probe_input() -> Value {
    Value::from(serde_json::json!({
        "review": {
            "kind": {"group": "", "version": "v1", "kind": "Probe"},
            "name": "probe",
            "operation": "CREATE",
            "object": {"apiVersion": "v1", "kind": "Probe", "metadata": {"name": "probe"}},
            "userInfo": {"username": "confgate"},
        },
        "parameters": {},
    }))
}

/// `input.review` for an object: an admission request for CREATE; with `request` (the
/// `request` of an AdmissionReview that a `policy verify` case gives), its fields
/// (`operation`, `oldObject`, `userInfo`, ...) replace the defaults, as gator does.
fn review_of(t: &Target, object: &EngineValue, request: Option<&serde_json::Value>) -> Value {
    let review = default_review(t, object);
    let Some(serde_json::Value::Object(fields)) = request else {
        return review;
    };
    let mut merged: BTreeMap<Value, Value> = match review.as_object() {
        Ok(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Err(_) => BTreeMap::new(),
    };
    for (k, v) in fields {
        merged.insert(Value::from(k.as_str()), Value::from(v.clone()));
    }
    Value::from(merged)
}

fn default_review(t: &Target, object: &EngineValue) -> Value {
    let mut review = vec![
        (
            "kind",
            obj(vec![
                ("group", Value::from(t.group.as_str())),
                ("version", Value::from(t.version.as_str())),
                ("kind", Value::from(t.kind.as_str())),
            ]),
        ),
        ("name", Value::from(t.name.as_str())),
        ("operation", Value::from("CREATE")),
        ("object", object.value().clone()),
        ("userInfo", obj(vec![("username", Value::from("confgate"))])),
        ("dryRun", Value::from(false)),
    ];
    if let Some(ns) = &t.namespace {
        review.push(("namespace", Value::from(ns.as_str())));
    }
    obj(review)
}

fn compile(def: TemplateDef, timeout: Duration) -> Result<Template, Diagnostic> {
    let mut engine = new_engine(timeout);
    let mut map = SourceMap::default();
    for u in &def.units {
        map.add(&u.label, &def.file, u.line_offset, u.column_offset);
    }
    let mut package = String::new();
    for (i, u) in def.units.iter().enumerate() {
        let p = add_rego(&mut engine, &u.label, &u.text, u.version, &map)?;
        if i == 0 {
            package = p;
        } else if !p.starts_with("data.lib.") && p != "data.lib" {
            return Err(bad(
                &def.file,
                u.line_offset + 1,
                format!(
                    "libs of {} must use packages under lib (e.g. `package lib.helpers`), found {}",
                    def.kind,
                    p.trim_start_matches("data.")
                ),
            ));
        }
    }
    check_recursion(&engine, &map)?;
    let violation = format!("{package}.violation");
    engine.set_input(probe_input());
    if let Err(e) = engine.eval_rule(violation.clone()) {
        if no_such_rule(&e) {
            let first = def.units.first().map_or(def.line, |u| u.line_offset + 1);
            return Err(bad(
                &def.file,
                first,
                format!(
                    "the Rego of ConstraintTemplate {} defines no violation rule",
                    def.kind
                ),
            ));
        }
        if !timed_out(&e) {
            return Err(map.policy_error(&e));
        }
    }
    check_functions(&mut engine, &violation, &map)?;
    Ok(Template {
        def,
        violation,
        engine,
        map,
    })
}

fn rule_for(c: &ConstraintDef, t: &TemplateDef, sev: &Severities) -> Rule {
    let severity = match c.action {
        Action::Deny => sev.deny,
        Action::Warn => sev.warn,
        Action::Dryrun => Severity::Info,
    };
    let summary = t
        .title
        .clone()
        .or_else(|| {
            t.description
                .as_deref()
                .and_then(|d| d.split(". ").next())
                .map(|s| s.trim_end_matches('.').to_string())
        })
        .unwrap_or_else(|| format!("Violates the Gatekeeper constraint {}/{}", c.kind, c.name));
    let mut help = format!(
        "Gatekeeper constraint `{}/{}` (`{}` line {}, enforcementAction `{}`), using the ConstraintTemplate `{}` from `{}`.",
        c.kind,
        c.name,
        c.file,
        c.line,
        c.action.as_str(),
        t.kind.to_lowercase(),
        t.file
    );
    if let Some(d) = &t.description {
        help.push_str("\n\n");
        help.push_str(d);
    }
    if c.parameters.as_object().is_some_and(|p| !p.is_empty()) {
        let params = serde_json::to_string_pretty(&c.parameters).unwrap_or_default();
        help.push_str(&format!("\n\nParameters:\n\n```json\n{params}\n```"));
    }
    help.push_str("\n\nEach finding carries the message of the template's violation.");
    user_rule(
        format!("{}/{}", c.kind, c.name),
        c.name.clone(),
        severity,
        summary,
        "Change the object so that it satisfies the constraint, or exclude it in the constraint's match".to_string(),
        help,
    )
}

impl Gatekeeper {
    /// Compiles every template and binds every constraint to its template.
    pub(crate) fn build(
        objects: Vec<Object>,
        sev: &Severities,
        timeout: Duration,
    ) -> Result<Gatekeeper, Diagnostic> {
        let mut templates: Vec<Template> = Vec::new();
        let mut defs = Vec::new();
        for o in objects {
            match o {
                Object::Template(t) => {
                    if let Some(other) = templates.iter().find(|x| x.def.kind == t.kind) {
                        return Err(bad(
                            &t.file,
                            t.line,
                            format!(
                                "a ConstraintTemplate for kind {} is already defined at {}:{}",
                                t.kind, other.def.file, other.def.line
                            ),
                        ));
                    }
                    templates.push(compile(t, timeout)?);
                }
                Object::Constraint(c) => defs.push(c),
            }
        }
        let mut constraints: Vec<Constraint> = Vec::new();
        for c in defs {
            let Some(ti) = templates.iter().position(|t| t.def.kind == c.kind) else {
                let known: Vec<&str> = templates.iter().map(|t| t.def.kind.as_str()).collect();
                return Err(bad(
                    &c.file,
                    c.line,
                    format!(
                        "no ConstraintTemplate defines kind {} (templates loaded: {})",
                        c.kind,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            };
            if let Some(other) = constraints
                .iter()
                .find(|x| x.def.kind == c.kind && x.def.name == c.name)
            {
                return Err(bad(
                    &c.file,
                    c.line,
                    format!(
                        "constraint {}/{} is already defined at {}:{}",
                        c.kind, c.name, other.def.file, other.def.line
                    ),
                ));
            }
            let rule = rule_for(&c, &templates[ti].def, sev);
            constraints.push(Constraint {
                parameters: Value::from(c.parameters.clone()),
                def: c,
                template: ti,
                rule,
            });
        }
        Ok(Gatekeeper {
            templates,
            constraints,
            timeout,
        })
    }

    pub(crate) fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.constraints.iter().map(|c| &c.rule)
    }

    /// One engine per template with `data` (e.g. `{"inventory": …}`) loaded and the policy
    /// prepared; clone the result for each worker.
    pub(crate) fn prepare(&self, data: Option<&Value>) -> Result<Vec<regorus::Engine>, Diagnostic> {
        self.templates
            .iter()
            .map(|t| {
                let mut e = t.engine.clone();
                if let Some(d) = data {
                    e.add_data(d.clone()).map_err(|err| {
                        bad(
                            &t.def.file,
                            t.def.line,
                            format!(
                                "cannot load data.inventory for {}: {}",
                                t.def.kind,
                                one_line(&format!("{err:#}"))
                            ),
                        )
                    })?;
                }
                // Prepare once here rather than in every clone.
                e.set_input(probe_input());
                let _ = e.eval_rule(t.violation.clone());
                Ok(e)
            })
            .collect()
    }

    /// Reviews one object against every constraint that matches it: the violations by
    /// constraint index, and failures (constraint index, one-line message).
    pub(crate) fn review(
        &self,
        engines: &mut [regorus::Engine],
        doc: &Document,
        input: &EngineValue,
        ns: &NamespaceLabels,
    ) -> (Hits<usize>, Failures<usize>) {
        self.review_request(engines, doc, input, ns, None)
    }

    /// [`Gatekeeper::review`] of an admission request: `doc` is the object the request is
    /// about (matching uses it), `request` the request's fields for `input.review`.
    pub(crate) fn review_request(
        &self,
        engines: &mut [regorus::Engine],
        doc: &Document,
        input: &EngineValue,
        ns: &NamespaceLabels,
        request: Option<&serde_json::Value>,
    ) -> (Hits<usize>, Failures<usize>) {
        let target = Target::of(doc);
        let mut review = None;
        let mut found = Vec::new();
        let mut failed = Vec::new();
        for (ci, c) in self.constraints.iter().enumerate() {
            if !c.def.matcher.matches(&target, ns) {
                continue;
            }
            let review = review.get_or_insert_with(|| review_of(&target, input, request));
            let t = &self.templates[c.template];
            let Some(engine) = engines.get_mut(c.template) else {
                continue;
            };
            engine.set_input(obj(vec![
                ("review", review.clone()),
                ("parameters", c.parameters.clone()),
            ]));
            match engine.eval_rule(t.violation.clone()) {
                Ok(v) => match hits(&v) {
                    Ok(hs) => found.extend(hs.into_iter().map(|h| (ci, h))),
                    Err(m) => failed.push((ci, format!("{}: violation {m}", t.def.file).into())),
                },
                Err(e) => failed.push((ci, eval_failure(&t.map, &e, self.timeout))),
            }
        }
        (found, failed)
    }

    /// Findings of one scanned document.
    pub(crate) fn evaluate_document(
        &self,
        engines: &mut [regorus::Engine],
        doc: &Document,
        input: &EngineValue,
        ns: &NamespaceLabels,
    ) -> (Vec<Finding>, Vec<Diagnostic>) {
        let (found, failed) = self.review(engines, doc, input, ns);
        let findings = found
            .iter()
            .map(|(ci, hit)| finding(&self.constraints[*ci].rule, doc, hit))
            .collect();
        let errors = failed
            .iter()
            .map(|(ci, m)| {
                doc_error(
                    doc,
                    &format!("constraint {}", self.constraints[*ci].rule.id),
                    m,
                )
            })
            .collect();
        (findings, errors)
    }
}

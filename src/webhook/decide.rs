//! The admission decision, pure: which requests are let through without a scan, and what
//! the answer to a scanned one is. The findings come from the same scanner, waivers,
//! severity overrides and gate as `confgate scan`; only the shape of the answer is decided
//! here (denial message, warnings, audit annotations), tested on literal AdmissionReviews.

use std::collections::{BTreeMap, BTreeSet};

use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionResponse, Operation};

use crate::catalog::Rule;
use crate::finding::Finding;
use crate::gate::Gate;

/// What to answer when a request cannot be decided (a policy timed out, an internal
/// error, the deadline passed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailurePolicy {
    /// Allow, with a warning (Kubernetes' `failurePolicy: Ignore`).
    Open,
    /// Deny (Kubernetes' `failurePolicy: Fail`).
    #[default]
    Closed,
}

impl FailurePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            FailurePolicy::Open => "open",
            FailurePolicy::Closed => "closed",
        }
    }
}

/// How requests are decided.
#[derive(Clone, Debug)]
pub struct Policy {
    pub gate: Gate,
    pub failure: FailurePolicy,
    /// Allow everything; record what would have been denied.
    pub audit_only: bool,
    /// Namespaces whose objects are never checked.
    pub exempt_namespaces: BTreeSet<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            gate: Gate::default(),
            failure: FailurePolicy::Closed,
            audit_only: false,
            exempt_namespaces: ["kube-system".to_string()].into(),
        }
    }
}

/// Why a request was let through without a scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    Delete,
    Connect,
    Subresource(String),
    Exempt(String),
    NoObject,
}

impl Skip {
    pub fn label(&self) -> &'static str {
        match self {
            Skip::Delete => "delete",
            Skip::Connect => "connect",
            Skip::Subresource(_) => "subresource",
            Skip::Exempt(_) => "exempt",
            Skip::NoObject => "no-object",
        }
    }
}

/// Requests that are allowed without evaluation: deletions and connections (no object to
/// check), subresources (status, scale: the object's spec is not what changes), exempt
/// namespaces.
pub fn skip(req: &AdmissionRequest<DynamicObject>, policy: &Policy) -> Option<Skip> {
    match req.operation {
        Operation::Delete => return Some(Skip::Delete),
        Operation::Connect => return Some(Skip::Connect),
        Operation::Create | Operation::Update => {}
    }
    if let Some(s) = req.sub_resource.as_deref().filter(|s| !s.is_empty()) {
        return Some(Skip::Subresource(s.to_string()));
    }
    let ns = req.namespace.as_deref().or_else(|| {
        // A Namespace is exempt by its own name.
        (req.kind.kind == "Namespace" && req.kind.group.is_empty()).then_some(req.name.as_str())
    });
    if let Some(ns) = ns.filter(|n| policy.exempt_namespaces.contains(*n)) {
        return Some(Skip::Exempt(ns.to_string()));
    }
    if req.object.is_none() {
        return Some(Skip::NoObject);
    }
    None
}

/// How a scanned request was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Allowed with findings below the gate (warnings).
    Warned,
    Denied,
    /// Audit-only: would have been denied.
    WouldDeny,
    /// Could not be decided; answered by the failure policy.
    Failed(FailurePolicy),
}

impl Decision {
    pub fn label(self) -> &'static str {
        match self {
            Decision::Allowed => "allow",
            Decision::Warned => "warn",
            Decision::Denied => "deny",
            Decision::WouldDeny => "audit-deny",
            Decision::Failed(FailurePolicy::Open) => "fail-open",
            Decision::Failed(FailurePolicy::Closed) => "fail-closed",
        }
    }
}

/// The longest denial message: kubectl shows it whole on one screen.
pub const MAX_MESSAGE: usize = 1024;
/// At most this many warnings, each at most [`MAX_WARNING`] bytes (the API server drops
/// longer ones in its own budget).
pub const MAX_WARNINGS: usize = 12;
pub const MAX_WARNING: usize = 240;

/// The answer to a request whose object was scanned. `already` holds the fingerprints of
/// the findings the old object of an UPDATE already had (shown as such in the message).
pub fn respond(
    req: &AdmissionRequest<DynamicObject>,
    policy: &Policy,
    rules: &[Rule],
    findings: &[Finding],
    already: Option<&BTreeSet<String>>,
) -> (AdmissionResponse, Decision) {
    let gate = &policy.gate;
    let blocking: Vec<&Finding> = gate.blocking(findings).collect();
    let below: Vec<&Finding> = gate.below(findings).collect();
    let remediation: BTreeMap<&str, &str> = rules
        .iter()
        .map(|r| (r.id.as_str(), r.remediation.as_str()))
        .collect();
    let mut warnings: Vec<String> = below.iter().map(|f| warning(f)).collect();
    let mut resp = AdmissionResponse::from(req);
    if blocking.is_empty() {
        let decision = if warnings.is_empty() {
            Decision::Allowed
        } else {
            Decision::Warned
        };
        resp.warnings = bounded(warnings);
        return (resp, decision);
    }
    let message = denial(&blocking, gate, &remediation, already);
    if policy.audit_only {
        warnings.insert(
            0,
            clip(
                &format!("audit-only: would be denied: {message}"),
                MAX_WARNING,
            ),
        );
        resp.warnings = bounded(warnings);
        resp.audit_annotations.insert(
            "confgate.dev/would-deny".to_string(),
            blocking_ids(&blocking),
        );
        return (resp, Decision::WouldDeny);
    }
    let mut resp = resp.deny(message);
    resp.result.code = 403;
    resp.result.reason = "Forbidden".to_string();
    resp.warnings = bounded(warnings);
    resp.audit_annotations.insert(
        "confgate.dev/denied-by".to_string(),
        blocking_ids(&blocking),
    );
    (resp, Decision::Denied)
}

/// The answer when the request could not be decided (`cause` says why, without secrets).
pub fn failed(
    req: &AdmissionRequest<DynamicObject>,
    policy: &Policy,
    cause: &str,
) -> (AdmissionResponse, Decision) {
    let resp = AdmissionResponse::from(req);
    let text = format!("confgate could not check this object: {cause}");
    match policy.failure {
        FailurePolicy::Open => {
            let mut resp = resp;
            resp.warnings = Some(vec![clip(
                &format!("{text}; allowed (fail-open)"),
                MAX_WARNING,
            )]);
            (resp, Decision::Failed(FailurePolicy::Open))
        }
        FailurePolicy::Closed => {
            let mut resp = resp.deny(clip(&format!("{text}; denied (fail-closed)"), MAX_MESSAGE));
            resp.result.code = 500;
            resp.result.reason = "InternalError".to_string();
            (resp, Decision::Failed(FailurePolicy::Closed))
        }
    }
}

fn blocking_ids(blocking: &[&Finding]) -> String {
    blocking
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
        .join(",")
}

/// `confgate: 2 findings at or above high: CG1001 spec.…privileged: <message> (fix: …); …`
fn denial(
    blocking: &[&Finding],
    gate: &Gate,
    remediation: &BTreeMap<&str, &str>,
    already: Option<&BTreeSet<String>>,
) -> String {
    let n = blocking.len();
    let mut out = format!(
        "confgate: {n} finding{} at or above {}:",
        if n == 1 { "" } else { "s" },
        gate.fail_on.as_str()
    );
    for (i, f) in blocking.iter().enumerate() {
        let mut item = format!(" {} {}", f.rule_id, f.severity.as_str());
        if !f.path.is_empty() {
            item.push_str(&format!(" at {}", f.path));
        }
        item.push_str(&format!(": {}", one_line(&f.message)));
        if let Some(fix) = remediation
            .get(f.rule_id.as_str())
            .filter(|s| !s.is_empty())
        {
            item.push_str(&format!(" (fix: {})", one_line(fix)));
        }
        if already.is_some_and(|a| a.contains(&f.fingerprint)) {
            item.push_str(" [already in the current object]");
        }
        item.push(';');
        let rest = n - i - 1;
        let tail = if rest > 0 {
            format!(" … and {rest} more")
        } else {
            String::new()
        };
        if out.len() + item.len() + tail.len() > MAX_MESSAGE {
            let left = n - i;
            out.push_str(&format!(" … and {left} more"));
            return out;
        }
        out.push_str(&item);
    }
    out.pop();
    out
}

fn warning(f: &Finding) -> String {
    let at = if f.path.is_empty() {
        String::new()
    } else {
        format!(" at {}", f.path)
    };
    clip(
        &format!(
            "confgate {} ({}){at}: {}",
            f.rule_id,
            f.severity.as_str(),
            one_line(&f.message)
        ),
        MAX_WARNING,
    )
}

fn bounded(mut warnings: Vec<String>) -> Option<Vec<String>> {
    if warnings.is_empty() {
        return None;
    }
    if warnings.len() > MAX_WARNINGS {
        let more = warnings.len() - (MAX_WARNINGS - 1);
        warnings.truncate(MAX_WARNINGS - 1);
        warnings.push(format!(
            "confgate: … and {more} more findings below the gate"
        ));
    }
    Some(warnings)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Severity;

    fn request(yaml: &str) -> AdmissionRequest<DynamicObject> {
        let v: serde_json::Value = serde_yaml::from_str(yaml).unwrap();
        serde_json::from_value(v).unwrap()
    }

    const CREATE: &str = r#"
uid: 705ab4f5-6393-11e8-b7cc-42010a800002
kind: {group: apps, version: v1, kind: Deployment}
resource: {group: apps, version: v1, resource: deployments}
name: web
namespace: shop
operation: CREATE
userInfo: {username: alice, groups: ["system:authenticated"]}
object:
  apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop}
oldObject: null
dryRun: false
"#;

    fn finding(id: &str, severity: Severity, path: &str) -> Finding {
        serde_json::from_value(serde_json::json!({
            "rule_id": id, "rule_name": id, "severity": severity,
            "message": format!("{id} message\nsecond line"),
            "file": "admission/shop/Deployment/web", "line": 1, "column": 1,
            "end_line": 1, "end_column": 1, "document_index": 0, "source": null,
            "resource": {"api_version": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"},
            "path": path, "frameworks": {}, "fingerprint": format!("fp-{id}"), "suppressed": null
        }))
        .unwrap()
    }

    fn rule(id: &str, fix: &str) -> Rule {
        let mut r = crate::catalog::Catalog::builtin().unwrap().rules[0].clone();
        r.id = id.into();
        r.remediation = fix.into();
        r
    }

    #[test]
    fn deletes_subresources_and_exempt_namespaces_skip_the_scan() {
        let p = Policy::default();
        assert_eq!(skip(&request(CREATE), &p), None);
        let del = CREATE.replace("operation: CREATE", "operation: DELETE");
        assert_eq!(skip(&request(&del), &p), Some(Skip::Delete));
        let status = CREATE.replace("name: web\n", "name: web\nsubResource: status\n");
        assert_eq!(
            skip(&request(&status), &p),
            Some(Skip::Subresource("status".into()))
        );
        let system = CREATE.replace(
            "namespace: shop\noperation",
            "namespace: kube-system\noperation",
        );
        assert_eq!(
            skip(&request(&system), &p),
            Some(Skip::Exempt("kube-system".into()))
        );
        let ns = r#"
uid: u1
kind: {group: "", version: v1, kind: Namespace}
resource: {group: "", version: v1, resource: namespaces}
name: kube-system
operation: UPDATE
userInfo: {}
object: {apiVersion: v1, kind: Namespace, metadata: {name: kube-system}}
"#;
        assert_eq!(
            skip(&request(ns), &p),
            Some(Skip::Exempt("kube-system".into()))
        );
    }

    #[test]
    fn blocking_findings_deny_with_ids_paths_and_fixes_and_the_rest_are_warnings() {
        let req = request(CREATE);
        let p = Policy::default();
        let findings = vec![
            finding(
                "CG1001",
                Severity::Critical,
                "spec.template.spec.containers[0].securityContext.privileged",
            ),
            finding("CG5001", Severity::Low, "spec.replicas"),
        ];
        let rules = vec![rule("CG1001", "Set privileged: false.")];
        let (resp, d) = respond(&req, &p, &rules, &findings, None);
        assert_eq!(d, Decision::Denied);
        assert!(!resp.allowed);
        assert_eq!(resp.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
        assert_eq!(
            resp.result.message,
            "confgate: 1 finding at or above high: CG1001 critical at spec.template.spec.containers[0].securityContext.privileged: CG1001 message second line (fix: Set privileged: false.)"
        );
        assert_eq!(resp.result.code, 403);
        assert_eq!(
            resp.warnings.as_deref(),
            Some(
                &[
                    "confgate CG5001 (low) at spec.replicas: CG5001 message second line"
                        .to_string()
                ][..]
            )
        );
        let only_low = &findings[1..];
        let (resp, d) = respond(&req, &p, &rules, only_low, None);
        assert_eq!(d, Decision::Warned);
        assert!(resp.allowed);
        let (resp, d) = respond(&req, &p, &rules, &[], None);
        assert_eq!(d, Decision::Allowed);
        assert!(resp.allowed && resp.warnings.is_none());
    }

    #[test]
    fn audit_only_allows_and_records_what_would_be_denied() {
        let p = Policy {
            audit_only: true,
            ..Policy::default()
        };
        let f = vec![finding("CG1001", Severity::High, "")];
        let (resp, d) = respond(&request(CREATE), &p, &[], &f, None);
        assert_eq!(d, Decision::WouldDeny);
        assert!(resp.allowed);
        assert_eq!(resp.audit_annotations["confgate.dev/would-deny"], "CG1001");
        assert!(
            resp.warnings.unwrap()[0]
                .starts_with("audit-only: would be denied: confgate: 1 finding")
        );
    }

    #[test]
    fn long_denials_are_cut_with_a_count_and_old_findings_are_marked() {
        let f: Vec<Finding> = (0..200)
            .map(|i| {
                finding(
                    &format!("CG{:04}", 1000 + i),
                    Severity::High,
                    "spec.template.spec.containers[0].image",
                )
            })
            .collect();
        let already: BTreeSet<String> = ["fp-CG1000".to_string()].into();
        let (resp, _) = respond(
            &request(CREATE),
            &Policy::default(),
            &[],
            &f,
            Some(&already),
        );
        let m = &resp.result.message;
        assert!(m.len() <= MAX_MESSAGE, "{}", m.len());
        assert!(m.starts_with("confgate: 200 findings at or above high: CG1000 high"));
        assert!(m.contains("[already in the current object]"));
        assert!(m.ends_with("more"), "{m}");
        let warnings: Vec<Finding> = (0..50)
            .map(|i| finding(&format!("CG{i}"), Severity::Low, ""))
            .collect();
        let (resp, _) = respond(&request(CREATE), &Policy::default(), &[], &warnings, None);
        let w = resp.warnings.unwrap();
        assert_eq!(w.len(), MAX_WARNINGS);
        assert_eq!(
            w.last().unwrap(),
            "confgate: … and 39 more findings below the gate"
        );
    }

    #[test]
    fn undecidable_requests_follow_the_failure_policy() {
        let req = request(CREATE);
        let closed = Policy::default();
        let (resp, d) = failed(&req, &closed, "policy timed out");
        assert_eq!(d, Decision::Failed(FailurePolicy::Closed));
        assert!(!resp.allowed);
        assert!(
            resp.result
                .message
                .contains("policy timed out; denied (fail-closed)")
        );
        let open = Policy {
            failure: FailurePolicy::Open,
            ..Policy::default()
        };
        let (resp, d) = failed(&req, &open, "policy timed out");
        assert_eq!(d, Decision::Failed(FailurePolicy::Open));
        assert!(resp.allowed);
        assert!(resp.warnings.unwrap()[0].ends_with("allowed (fail-open)"));
    }
}

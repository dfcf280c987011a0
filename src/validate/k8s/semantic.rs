//! The API server's own cross-field and value rules that a schema cannot express, where they
//! are cheap and commonly broken: a workload's selector must match its pod template, volume
//! mounts must name a volume of the pod, restart policies per workload kind, rolling-update
//! parameters, CronJob schedules, IPs and CIDRs, Ingress paths, HPA and PDB bounds.
//!
//! Every issue is an error; paths point at the offending field.

use std::net::IpAddr;

use serde_json::Value;

use super::{IssueKind, IssueLevel, SchemaIssue};
use crate::document::{FieldPath, Node, NodeKind, Seg};

/// Collects the issues of one (schema-checked) object.
pub(super) fn check(tree: &Node, issues: &mut Vec<SchemaIssue>) {
    let mut c = Checker { issues };
    let kind = str_at(tree, &["kind"]).unwrap_or_default();
    let api = str_at(tree, &["apiVersion"]).unwrap_or_default();
    match (api, kind) {
        ("apps/v1", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet") => {
            c.selector_matches_template(tree);
            c.restart_policy(tree, &["spec", "template", "spec"], &["Always"], kind);
            c.pod(tree, &["spec", "template", "spec"]);
            if kind == "Deployment" {
                c.deployment_strategy(tree);
            }
        }
        ("v1", "ReplicationController") => {
            c.rc_selector(tree);
            c.pod(tree, &["spec", "template", "spec"]);
        }
        ("v1", "Pod") => c.pod(tree, &["spec"]),
        ("v1", "PodTemplate") => c.pod(tree, &["template", "spec"]),
        ("batch/v1", "Job") => {
            let at = ["spec", "template", "spec"];
            c.restart_policy(tree, &at, &["OnFailure", "Never"], kind);
            c.pod(tree, &at);
        }
        ("batch/v1", "CronJob") => {
            c.cron_schedule(tree);
            let at = ["spec", "jobTemplate", "spec", "template", "spec"];
            c.restart_policy(tree, &at, &["OnFailure", "Never"], kind);
            c.pod(tree, &at);
        }
        ("v1", "Service") => c.service(tree),
        ("networking.k8s.io/v1", "NetworkPolicy") => c.network_policy(tree),
        ("networking.k8s.io/v1", "Ingress") => c.ingress(tree),
        (a, "HorizontalPodAutoscaler") if a.starts_with("autoscaling/") => c.hpa(tree),
        ("policy/v1", "PodDisruptionBudget") => c.pdb(tree),
        _ => {}
    }
}

fn get<'t>(n: &'t Node, path: &[&str]) -> Option<&'t Node> {
    path.iter().try_fold(n, |n, k| n.get(k))
}

fn str_at<'t>(n: &'t Node, path: &[&str]) -> Option<&'t str> {
    match &get(n, path)?.kind {
        NodeKind::Scalar(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn int_of(n: &Node) -> Option<i64> {
    match &n.kind {
        NodeKind::Scalar(Value::Number(x)) => x.as_i64(),
        _ => None,
    }
}

fn entries(n: Option<&Node>) -> &[crate::document::Entry] {
    match n.map(|n| &n.kind) {
        Some(NodeKind::Map(es)) => es,
        _ => &[],
    }
}

fn items(n: Option<&Node>) -> &[Node] {
    match n.map(|n| &n.kind) {
        Some(NodeKind::Seq(items)) => items,
        _ => &[],
    }
}

fn path_of(base: &[&str], rest: &[Seg]) -> FieldPath {
    let mut segs: Vec<Seg> = base.iter().map(|k| Seg::Key((*k).to_string())).collect();
    segs.extend(rest.iter().cloned());
    FieldPath(segs)
}

fn key(k: &str) -> Seg {
    Seg::Key(k.to_string())
}

/// Labels as (key, value) pairs; non-string values are left to the schema check.
fn labels(n: Option<&Node>) -> Vec<(&str, &str)> {
    entries(n)
        .iter()
        .filter_map(|e| match &e.value.kind {
            NodeKind::Scalar(Value::String(v)) => Some((e.key.as_str(), v.as_str())),
            _ => None,
        })
        .collect()
}

struct Checker<'a> {
    issues: &'a mut Vec<SchemaIssue>,
}

impl Checker<'_> {
    fn error(&mut self, path: FieldPath, message: String) {
        self.issues.push(SchemaIssue {
            path,
            message,
            level: IssueLevel::Error,
            kind: IssueKind::Value,
        });
    }

    /// `spec.selector` (matchLabels and matchExpressions) must select `spec.template`'s labels.
    fn selector_matches_template(&mut self, tree: &Node) {
        let Some(selector) = get(tree, &["spec", "selector"]) else {
            return;
        };
        let template_labels = get(tree, &["spec", "template", "metadata", "labels"]);
        let template = labels(template_labels);
        // No labels at all is how kustomize bases look before `labels`/`commonLabels` add
        // them; a label that is not a string is reported by the schema check.
        if template.is_empty() || template.len() != entries(template_labels).len() {
            return;
        }
        let has = |k: &str| template.iter().find(|(tk, _)| *tk == k).map(|(_, v)| *v);
        let match_labels = labels(selector.get("matchLabels"));
        let expressions = items(selector.get("matchExpressions"));
        if match_labels.is_empty() && expressions.is_empty() {
            self.error(
                path_of(&["spec", "selector"], &[]),
                "empty selector: it must select the pod template's labels".to_string(),
            );
            return;
        }
        for (k, v) in &match_labels {
            if has(k) != Some(v) {
                self.error(
                    path_of(&["spec", "selector", "matchLabels"], &[key(k)]),
                    format!(
                        "selector does not match the template labels: the template has no label {k}={v}"
                    ),
                );
            }
        }
        for (i, e) in expressions.iter().enumerate() {
            let (Some(k), Some(op)) = (str_at(e, &["key"]), str_at(e, &["operator"])) else {
                continue;
            };
            let values: Vec<&str> = items(e.get("values"))
                .iter()
                .filter_map(|v| match &v.kind {
                    NodeKind::Scalar(Value::String(s)) => Some(s.as_str()),
                    _ => None,
                })
                .collect();
            let ok = match (op, has(k)) {
                ("In", Some(v)) => values.contains(&v),
                ("In", None) => false,
                ("NotIn", Some(v)) => !values.contains(&v),
                ("NotIn", None) => true,
                ("Exists", found) => found.is_some(),
                ("DoesNotExist", found) => found.is_none(),
                _ => true, // unknown operators are reported by the schema check
            };
            if !ok {
                self.error(
                    path_of(
                        &["spec", "selector", "matchExpressions"],
                        &[Seg::Index(i)],
                    ),
                    format!(
                        "selector does not match the template labels: {k} {op} fails on the template"
                    ),
                );
            }
        }
    }

    /// ReplicationController: `spec.selector` is a plain map (defaulted from the template).
    fn rc_selector(&mut self, tree: &Node) {
        let template = labels(get(tree, &["spec", "template", "metadata", "labels"]));
        for (k, v) in labels(get(tree, &["spec", "selector"])) {
            if !template.contains(&(k, v)) {
                self.error(
                    path_of(&["spec", "selector"], &[key(k)]),
                    format!(
                        "selector does not match the template labels: the template has no label {k}={v}"
                    ),
                );
            }
        }
    }

    fn restart_policy(&mut self, tree: &Node, pod: &[&str], allowed: &[&str], kind: &str) {
        let mut at = pod.to_vec();
        at.push("restartPolicy");
        if let Some(p) = str_at(tree, &at)
            && !allowed.contains(&p)
        {
            self.error(
                path_of(&at, &[]),
                format!(
                    "restartPolicy {p} is not allowed for a {kind}'s pods (allowed: {})",
                    allowed.join(", ")
                ),
            );
        }
    }

    /// Checks of any pod spec: mounts name volumes (a StatefulSet's claim templates count),
    /// IPs of host aliases and DNS servers.
    fn pod(&mut self, tree: &Node, at: &[&str]) {
        let Some(spec) = get(tree, at) else {
            return;
        };
        let claim_templates = items(get(tree, &["spec", "volumeClaimTemplates"]))
            .iter()
            .filter_map(|t| str_at(t, &["metadata", "name"]));
        let volumes: Vec<&str> = items(spec.get("volumes"))
            .iter()
            .filter_map(|v| str_at(v, &["name"]))
            .chain(claim_templates)
            .collect();
        for field in ["initContainers", "containers", "ephemeralContainers"] {
            for (ci, c) in items(spec.get(field)).iter().enumerate() {
                for list in ["volumeMounts", "volumeDevices"] {
                    for (mi, m) in items(c.get(list)).iter().enumerate() {
                        let Some(name) = str_at(m, &["name"]) else {
                            continue;
                        };
                        if !volumes.contains(&name) {
                            let cname = str_at(c, &["name"]).unwrap_or("?");
                            self.error(
                                path_of(
                                    at,
                                    &[
                                        key(field),
                                        Seg::Index(ci),
                                        key(list),
                                        Seg::Index(mi),
                                        key("name"),
                                    ],
                                ),
                                format!(
                                    "container \"{cname}\" mounts volume \"{name}\", but the pod has no volume of that name"
                                ),
                            );
                        }
                    }
                }
                for (pi, p) in items(c.get("ports")).iter().enumerate() {
                    if let Some(ip) = p.get("hostIP") {
                        self.ip(
                            ip,
                            path_of(
                                at,
                                &[
                                    key(field),
                                    Seg::Index(ci),
                                    key("ports"),
                                    Seg::Index(pi),
                                    key("hostIP"),
                                ],
                            ),
                        );
                    }
                }
            }
        }
        for (i, h) in items(spec.get("hostAliases")).iter().enumerate() {
            if let Some(ip) = h.get("ip") {
                self.ip(
                    ip,
                    path_of(at, &[key("hostAliases"), Seg::Index(i), key("ip")]),
                );
            }
        }
        for (i, ns) in items(get(spec, &["dnsConfig", "nameservers"]))
            .iter()
            .enumerate()
        {
            self.ip(
                ns,
                path_of(at, &[key("dnsConfig"), key("nameservers"), Seg::Index(i)]),
            );
        }
    }

    fn deployment_strategy(&mut self, tree: &Node) {
        let Some(strategy) = get(tree, &["spec", "strategy"]) else {
            return;
        };
        let ty = str_at(strategy, &["type"]).unwrap_or("RollingUpdate");
        let rolling = strategy.get("rollingUpdate");
        if ty == "Recreate" && rolling.is_some() {
            self.error(
                path_of(&["spec", "strategy", "rollingUpdate"], &[]),
                "rollingUpdate may not be set when the strategy type is Recreate".to_string(),
            );
            return;
        }
        let Some(rolling) = rolling else {
            return;
        };
        let zero = |n: Option<&Node>| match n.map(|n| &n.kind) {
            Some(NodeKind::Scalar(Value::Number(x))) => x.as_i64() == Some(0),
            Some(NodeKind::Scalar(Value::String(s))) => s.trim_end_matches('%') == "0",
            _ => false,
        };
        // The defaults are 25% each, so only explicit zeros can collide.
        if zero(rolling.get("maxUnavailable")) && zero(rolling.get("maxSurge")) {
            self.error(
                path_of(
                    &["spec", "strategy", "rollingUpdate", "maxUnavailable"],
                    &[],
                ),
                "maxUnavailable and maxSurge may not both be 0: the rollout could never progress"
                    .to_string(),
            );
        }
    }

    fn cron_schedule(&mut self, tree: &Node) {
        let Some(s) = str_at(tree, &["spec", "schedule"]) else {
            return;
        };
        if let Err(why) = check_cron(s) {
            self.error(
                path_of(&["spec", "schedule"], &[]),
                format!("invalid schedule {s:?}: {why}"),
            );
        }
    }

    fn service(&mut self, tree: &Node) {
        let spec = ["spec"];
        if let Some(ip) = get(tree, &["spec", "clusterIP"])
            && !matches!(&ip.kind, NodeKind::Scalar(Value::String(s)) if s.is_empty() || s == "None")
        {
            self.ip(ip, path_of(&spec, &[key("clusterIP")]));
        }
        for (i, ip) in items(get(tree, &["spec", "clusterIPs"])).iter().enumerate() {
            if !matches!(&ip.kind, NodeKind::Scalar(Value::String(s)) if s == "None") {
                self.ip(ip, path_of(&spec, &[key("clusterIPs"), Seg::Index(i)]));
            }
        }
        for (i, ip) in items(get(tree, &["spec", "externalIPs"]))
            .iter()
            .enumerate()
        {
            self.ip(ip, path_of(&spec, &[key("externalIPs"), Seg::Index(i)]));
        }
        if let Some(ip) = get(tree, &["spec", "loadBalancerIP"])
            && !matches!(&ip.kind, NodeKind::Scalar(Value::String(s)) if s.is_empty())
        {
            self.ip(ip, path_of(&spec, &[key("loadBalancerIP")]));
        }
        for (i, r) in items(get(tree, &["spec", "loadBalancerSourceRanges"]))
            .iter()
            .enumerate()
        {
            self.cidr(
                r,
                path_of(&spec, &[key("loadBalancerSourceRanges"), Seg::Index(i)]),
            );
        }
        let ty = str_at(tree, &["spec", "type"]).unwrap_or("ClusterIP");
        if ty == "ExternalName" && str_at(tree, &["spec", "externalName"]).is_none() {
            self.error(
                path_of(&spec, &[key("externalName")]),
                "a Service of type ExternalName needs spec.externalName".to_string(),
            );
        }
        if ty == "ClusterIP" {
            for (i, p) in items(get(tree, &["spec", "ports"])).iter().enumerate() {
                if p.get("nodePort").and_then(int_of).is_some_and(|n| n != 0) {
                    self.error(
                        path_of(&spec, &[key("ports"), Seg::Index(i), key("nodePort")]),
                        "nodePort may only be set on a NodePort or LoadBalancer Service"
                            .to_string(),
                    );
                }
            }
        }
    }

    fn network_policy(&mut self, tree: &Node) {
        for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
            for (ri, rule) in items(get(tree, &["spec", dir])).iter().enumerate() {
                for (pi, peer) in items(rule.get(peers)).iter().enumerate() {
                    let Some(block) = peer.get("ipBlock") else {
                        continue;
                    };
                    let base = [
                        key(dir),
                        Seg::Index(ri),
                        key(peers),
                        Seg::Index(pi),
                        key("ipBlock"),
                    ];
                    let Some(cidr_node) = block.get("cidr") else {
                        continue;
                    };
                    let mut at = base.to_vec();
                    at.push(key("cidr"));
                    let Some(outer) = self.cidr(cidr_node, path_of(&["spec"], &at)) else {
                        continue;
                    };
                    for (ei, e) in items(block.get("except")).iter().enumerate() {
                        let mut at = base.to_vec();
                        at.extend([key("except"), Seg::Index(ei)]);
                        let path = path_of(&["spec"], &at);
                        if let Some(inner) = self.cidr(e, path.clone())
                            && !strictly_within(inner, outer)
                        {
                            self.error(
                                path,
                                "except must be a strict subset of the ipBlock's cidr".to_string(),
                            );
                        }
                    }
                }
            }
        }
    }

    fn ingress(&mut self, tree: &Node) {
        for (ri, rule) in items(get(tree, &["spec", "rules"])).iter().enumerate() {
            for (pi, p) in items(get(rule, &["http", "paths"])).iter().enumerate() {
                let ty = str_at(p, &["pathType"]).unwrap_or_default();
                if let Some(path) = str_at(p, &["path"])
                    && matches!(ty, "Prefix" | "Exact")
                    && !path.starts_with('/')
                {
                    self.error(
                        path_of(
                            &["spec"],
                            &[
                                key("rules"),
                                Seg::Index(ri),
                                key("http"),
                                key("paths"),
                                Seg::Index(pi),
                                key("path"),
                            ],
                        ),
                        format!("a {ty} path must be absolute (start with '/'), got {path:?}"),
                    );
                }
            }
        }
    }

    fn hpa(&mut self, tree: &Node) {
        let min = get(tree, &["spec", "minReplicas"]).and_then(int_of);
        let max = get(tree, &["spec", "maxReplicas"]).and_then(int_of);
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            self.error(
                path_of(&["spec", "minReplicas"], &[]),
                format!("minReplicas {min} is greater than maxReplicas {max}"),
            );
        }
        if let Some(max) = max
            && max < 1
        {
            self.error(
                path_of(&["spec", "maxReplicas"], &[]),
                "maxReplicas must be at least 1".to_string(),
            );
        }
    }

    fn pdb(&mut self, tree: &Node) {
        if get(tree, &["spec", "minAvailable"]).is_some()
            && get(tree, &["spec", "maxUnavailable"]).is_some()
        {
            self.error(
                path_of(&["spec", "maxUnavailable"], &[]),
                "minAvailable and maxUnavailable cannot both be set".to_string(),
            );
        }
    }

    /// An IP address; non-strings are left to the schema check.
    fn ip(&mut self, n: &Node, path: FieldPath) {
        if let NodeKind::Scalar(Value::String(s)) = &n.kind
            && parse_ip(s).is_none()
        {
            self.error(path, format!("invalid IP address {s:?}"));
        }
    }

    /// A CIDR (`10.0.0.0/8`, `2001:db8::/32`); returns it when valid.
    fn cidr(&mut self, n: &Node, path: FieldPath) -> Option<(IpAddr, u8)> {
        let NodeKind::Scalar(Value::String(s)) = &n.kind else {
            return None;
        };
        let parsed = parse_cidr(s);
        if parsed.is_none() {
            self.error(
                path,
                format!(
                    "invalid CIDR {s:?}: expected an address and a prefix length, e.g. 10.0.0.0/16"
                ),
            );
        }
        parsed
    }
}

/// Parses an IP; IPv4 octets with leading zeros (accepted by older Kubernetes) are read as
/// decimal.
fn parse_ip(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    let octets: Vec<u8> = s
        .split('.')
        .map(|o| {
            if o.is_empty() || o.len() > 3 || !o.bytes().all(|c| c.is_ascii_digit()) {
                None
            } else {
                o.parse().ok()
            }
        })
        .collect::<Option<_>>()?;
    let [a, b, c, d] = octets[..] else {
        return None;
    };
    Some(IpAddr::from([a, b, c, d]))
}

fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = s.split_once('/')?;
    let ip = parse_ip(addr)?;
    if prefix.is_empty() || !prefix.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let prefix: u8 = prefix.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (prefix <= max).then_some((ip, prefix))
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
        IpAddr::V6(v) => (u128::from(v), 128),
    }
}

/// Is `inner` a strict subset of `outer` (same family, longer prefix, same network)?
fn strictly_within(inner: (IpAddr, u8), outer: (IpAddr, u8)) -> bool {
    let ((ia, iw), (oa, ow)) = (bits(inner.0), bits(outer.0));
    if iw != ow || inner.1 <= outer.1 {
        return false;
    }
    let shift = u32::from(iw - outer.1);
    let net = |a: u128| a.checked_shr(shift).unwrap_or(0);
    net(ia) == net(oa)
}

/// A cron schedule as CronJobs accept it: five fields (minute hour day-of-month month
/// day-of-week) with `*`, lists, ranges, steps and names, or a descriptor (`@hourly`, …,
/// `@every 5m`). Time zones go into `spec.timeZone`, not the schedule.
fn check_cron(s: &str) -> Result<(), String> {
    let s = s.trim();
    if s.starts_with("TZ=") || s.starts_with("CRON_TZ=") {
        return Err("time zones in the schedule are not supported; set spec.timeZone".into());
    }
    if let Some(d) = s.strip_prefix('@') {
        return match d {
            "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly" => {
                Ok(())
            }
            _ if d.starts_with("every ") => Ok(()),
            _ => Err(format!("unknown descriptor @{d}")),
        };
    }
    let fields: Vec<&str> = s.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected 5 fields (minute hour day-of-month month day-of-week), got {}",
            fields.len()
        ));
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let specs: [(&str, u32, u32, &[&str], u32); 5] = [
        ("minute", 0, 59, &[], 0),
        ("hour", 0, 23, &[], 0),
        ("day-of-month", 1, 31, &[], 0),
        ("month", 1, 12, &MONTHS, 1),
        ("day-of-week", 0, 7, &DAYS, 0),
    ];
    for (field, (name, lo, hi, names, base)) in fields.iter().zip(specs) {
        let value = |v: &str| -> Option<u32> {
            if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(v)) {
                return u32::try_from(i).ok().map(|i| i + base);
            }
            v.parse::<u32>().ok().filter(|n| (lo..=hi).contains(n))
        };
        for part in field.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((r, st)) => (r, Some(st)),
                None => (part, None),
            };
            if let Some(st) = step
                && !st.parse::<u32>().is_ok_and(|n| n > 0)
            {
                return Err(format!("bad step {st:?} in the {name} field"));
            }
            let ok = match range {
                "*" | "?" => true,
                r => match r.split_once('-') {
                    Some((a, b)) => matches!((value(a), value(b)), (Some(a), Some(b)) if a <= b),
                    None => value(r).is_some(),
                },
            };
            if !ok {
                return Err(format!(
                    "{part:?} is not valid in the {name} field ({lo}-{hi})"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_schedules() {
        for ok in [
            "*/5 * * * *",
            "0 3 * * 1-5",
            "15,45 8-18/2 1 jan-jun MON",
            "@daily",
            "@every 1h30m",
            "0 0 * * 7",
        ] {
            assert_eq!(check_cron(ok), Ok(()), "{ok}");
        }
        for bad in [
            "* * * *",
            "60 * * * *",
            "0 24 * * *",
            "0 0 0 * *",
            "*/0 * * * *",
            "0 0 * 13 *",
            "5-1 * * * *",
            "CRON_TZ=UTC 0 0 * * *",
            "@fortnightly",
        ] {
            assert!(check_cron(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ips_and_cidrs() {
        assert!(parse_ip("10.0.0.1").is_some());
        assert!(parse_ip("010.000.000.001").is_some());
        assert!(parse_ip("2001:db8::1").is_some());
        assert!(parse_ip("10.0.0.256").is_none());
        assert!(parse_ip("example.com").is_none());
        assert!(parse_cidr("10.0.0.0/8").is_some());
        assert!(parse_cidr("2001:db8::/129").is_none());
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_cidr("10.0.0.0").is_none());
        let c = |s| parse_cidr(s).unwrap_or((IpAddr::from([0, 0, 0, 0]), 0));
        assert!(strictly_within(c("10.1.0.0/16"), c("10.0.0.0/8")));
        assert!(!strictly_within(c("10.0.0.0/8"), c("10.0.0.0/8")));
        assert!(!strictly_within(c("11.0.0.0/16"), c("10.0.0.0/8")));
        assert!(strictly_within(c("0.0.0.0/1"), c("0.0.0.0/0")));
    }
}

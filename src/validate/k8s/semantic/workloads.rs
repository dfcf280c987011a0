//! Workload rules: a controller's selector must select its pod template, restart policies
//! per workload kind, pod-level checks (volume mounts name a volume, host-alias and DNS IPs),
//! rolling-update parameters, CronJob schedules, and the bounds of HPAs and PDBs.

use serde_json::Value;

use super::Checker;
use super::{entries, get, int_of, items, key, labels, path_of, str_at};
use crate::document::{Node, NodeKind, Seg};

impl Checker<'_> {
    /// `spec.selector` (matchLabels and matchExpressions) must select `spec.template`'s labels.
    pub(super) fn selector_matches_template(&mut self, tree: &Node) {
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
    pub(super) fn rc_selector(&mut self, tree: &Node) {
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

    pub(super) fn restart_policy(
        &mut self,
        tree: &Node,
        pod: &[&str],
        allowed: &[&str],
        kind: &str,
    ) {
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
    pub(super) fn pod(&mut self, tree: &Node, at: &[&str]) {
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

    pub(super) fn deployment_strategy(&mut self, tree: &Node) {
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

    pub(super) fn cron_schedule(&mut self, tree: &Node) {
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

    pub(super) fn hpa(&mut self, tree: &Node) {
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

    pub(super) fn pdb(&mut self, tree: &Node) {
        if get(tree, &["spec", "minAvailable"]).is_some()
            && get(tree, &["spec", "maxUnavailable"]).is_some()
        {
            self.error(
                path_of(&["spec", "maxUnavailable"], &[]),
                "minAvailable and maxUnavailable cannot both be set".to_string(),
            );
        }
    }
}

/// A cron schedule as CronJobs accept it: five fields (minute hour day-of-month month
/// day-of-week) with `*`, lists, ranges, steps and names, or a descriptor (`@hourly`, …,
/// `@every 5m`). Time zones go into `spec.timeZone`, not the schedule.
pub(super) fn check_cron(s: &str) -> Result<(), String> {
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

//! labelSelector and fieldSelector, as kube-apiserver parses them.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum LabelReq {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

#[derive(Debug, Clone, Default)]
pub struct LabelSelector(Vec<LabelReq>);

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 317
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
}

fn valid_value(v: &str) -> bool {
    v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

impl LabelSelector {
    pub fn parse(s: &str) -> Result<LabelSelector, String> {
        // Split on commas outside parentheses.
        let mut parts = vec![];
        let mut depth = 0i32;
        let mut cur = String::new();
        for c in s.chars() {
            match c {
                '(' => {
                    depth += 1;
                    cur.push(c)
                }
                ')' => {
                    depth -= 1;
                    cur.push(c)
                }
                ',' if depth == 0 => parts.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        parts.push(cur);
        let mut reqs = vec![];
        for p in parts {
            let p = p.trim();
            if p.is_empty() {
                continue;
            }
            reqs.push(parse_req(p).ok_or_else(|| format!("unable to parse requirement: {p:?}"))?);
        }
        Ok(LabelSelector(reqs))
    }

    /// A `metav1.LabelSelector` object (`matchLabels` and `matchExpressions` with In, NotIn,
    /// Exists, DoesNotExist), as webhook configurations carry them. Absent/null/`{}` selects
    /// everything.
    pub fn from_json(v: &Value) -> Result<LabelSelector, String> {
        if v.is_null() {
            return Ok(LabelSelector::default());
        }
        let obj = v
            .as_object()
            .ok_or_else(|| format!("a label selector must be an object, got {v}"))?;
        let mut reqs = vec![];
        if let Some(ml) = obj.get("matchLabels").filter(|m| !m.is_null()) {
            let ml = ml
                .as_object()
                .ok_or("matchLabels must be an object of strings")?;
            for (k, val) in ml {
                let val = val
                    .as_str()
                    .ok_or_else(|| format!("matchLabels.{k} must be a string"))?;
                reqs.push(LabelReq::Eq(k.clone(), val.to_string()));
            }
        }
        let exprs = match obj.get("matchExpressions") {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(a)) => a.as_slice(),
            Some(_) => return Err("matchExpressions must be a list".into()),
        };
        for e in exprs {
            let key = e
                .get("key")
                .and_then(Value::as_str)
                .filter(|k| !k.is_empty())
                .ok_or("matchExpressions[].key: Required value")?
                .to_string();
            let values: Vec<String> = match e.get("values") {
                None | Some(Value::Null) => vec![],
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|x| x.as_str().map(str::to_string))
                    .collect::<Option<_>>()
                    .ok_or_else(|| format!("matchExpressions[{key}].values must be strings"))?,
                Some(_) => return Err(format!("matchExpressions[{key}].values must be a list")),
            };
            let op = e.get("operator").and_then(Value::as_str).unwrap_or("");
            let req = match op {
                "In" | "NotIn" if values.is_empty() => {
                    return Err(format!(
                        "matchExpressions[{key}].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
                    ));
                }
                "Exists" | "DoesNotExist" if !values.is_empty() => {
                    return Err(format!(
                        "matchExpressions[{key}].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                    ));
                }
                "In" => LabelReq::In(key, values),
                "NotIn" => LabelReq::NotIn(key, values),
                "Exists" => LabelReq::Exists(key),
                "DoesNotExist" => LabelReq::NotExists(key),
                other => {
                    return Err(format!(
                        "matchExpressions[{key}].operator: Unsupported value: {other:?}: supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\""
                    ));
                }
            };
            reqs.push(req);
        }
        Ok(LabelSelector(reqs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, labels: Option<&serde_json::Map<String, Value>>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            LabelReq::Eq(k, v) => get(k) == Some(v.as_str()),
            LabelReq::NotEq(k, v) => get(k) != Some(v.as_str()),
            LabelReq::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            LabelReq::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            LabelReq::Exists(k) => get(k).is_some(),
            LabelReq::NotExists(k) => get(k).is_none(),
        })
    }
}

fn parse_set(rest: &str) -> Option<Vec<String>> {
    let rest = rest.trim();
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    let vals: Vec<String> = inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    if vals.iter().all(|v| valid_value(v)) {
        Some(vals)
    } else {
        None
    }
}

fn parse_req(p: &str) -> Option<LabelReq> {
    if let Some(k) = p.strip_prefix('!') {
        let k = k.trim();
        return valid_key(k).then(|| LabelReq::NotExists(k.to_string()));
    }
    for (op, ctor) in [
        ("!=", LabelReq::NotEq as fn(String, String) -> LabelReq),
        ("==", LabelReq::Eq),
        ("=", LabelReq::Eq),
    ] {
        if let Some((k, v)) = p.split_once(op) {
            let (k, v) = (k.trim(), v.trim());
            return (valid_key(k) && valid_value(v)).then(|| ctor(k.to_string(), v.to_string()));
        }
    }
    let mut it = p.splitn(2, char::is_whitespace);
    let key = it.next()?.trim();
    let rest = it.next().map(str::trim).unwrap_or("");
    if rest.is_empty() {
        return valid_key(key).then(|| LabelReq::Exists(key.to_string()));
    }
    if !valid_key(key) {
        return None;
    }
    if let Some(r) = rest.strip_prefix("notin") {
        return parse_set(r).map(|s| LabelReq::NotIn(key.to_string(), s));
    }
    if let Some(r) = rest.strip_prefix("in") {
        return parse_set(r).map(|s| LabelReq::In(key.to_string(), s));
    }
    None
}

#[derive(Debug, Clone, Default)]
pub struct FieldSelector(Vec<(String, bool, String)>);

/// Field labels each kind supports beyond metadata.name and metadata.namespace.
fn supported(kind: &str, field: &str) -> bool {
    if field == "metadata.name" || field == "metadata.namespace" {
        return true;
    }
    match kind {
        "Pod" => matches!(
            field,
            "spec.nodeName"
                | "spec.restartPolicy"
                | "spec.schedulerName"
                | "spec.serviceAccountName"
                | "spec.hostNetwork"
                | "status.phase"
                | "status.podIP"
                | "status.nominatedNodeName"
        ),
        "Event" => {
            field.starts_with("involvedObject.")
                && matches!(
                    &field["involvedObject.".len()..],
                    "kind"
                        | "namespace"
                        | "name"
                        | "uid"
                        | "apiVersion"
                        | "resourceVersion"
                        | "fieldPath"
                )
                || matches!(
                    field,
                    "reason"
                        | "reportingComponent"
                        | "source"
                        | "type"
                        | "regarding.kind"
                        | "regarding.name"
                        | "regarding.namespace"
                )
        }
        "Secret" => field == "type",
        "Namespace" => field == "status.phase",
        "Node" => field == "spec.unschedulable",
        "ReplicaSet" | "ReplicationController" => field == "status.replicas",
        "Job" => field == "status.successful",
        _ => false,
    }
}

impl FieldSelector {
    pub fn parse(s: &str, kind: &str) -> Result<FieldSelector, String> {
        let mut reqs = vec![];
        for p in s.split(',') {
            let p = p.trim();
            if p.is_empty() {
                continue;
            }
            let (k, neg, v) = if let Some((k, v)) = p.split_once("!=") {
                (k, true, v)
            } else if let Some((k, v)) = p.split_once("==") {
                (k, false, v)
            } else if let Some((k, v)) = p.split_once('=') {
                (k, false, v)
            } else {
                return Err(format!("invalid selector: '{s}'; can't understand '{p}'"));
            };
            let k = k.trim();
            if !supported(kind, k) {
                return Err(format!("field label not supported: {k}"));
            }
            reqs.push((k.to_string(), neg, v.trim().to_string()));
        }
        Ok(FieldSelector(reqs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The exact name asked for, if any (to narrow a scan).
    pub fn name(&self) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, neg, _)| k == "metadata.name" && !neg)
            .map(|(_, _, v)| v.as_str())
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|(k, neg, want)| {
            let got = field_value(obj, k);
            (got == *want) != *neg
        })
    }
}

fn field_value(obj: &Value, field: &str) -> String {
    let path = match field {
        "source" => "/source/component".to_string(),
        f => format!("/{}", f.replace('.', "/")),
    };
    match obj.pointer(&path) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            if field == "spec.unschedulable" || field == "spec.hostNetwork" {
                "false".into()
            } else {
                String::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels() {
        let l = json!({"app": "web", "tier": "front"});
        let m = l.as_object();
        for (sel, want) in [
            ("app=web", true),
            ("app==web,tier=front", true),
            ("app!=web", false),
            ("app in (web, db)", true),
            ("app notin (web)", false),
            ("tier", true),
            ("!tier", false),
            ("!missing", true),
            ("app in (db),tier", false),
        ] {
            assert_eq!(LabelSelector::parse(sel).unwrap().matches(m), want, "{sel}");
        }
        assert!(LabelSelector::parse("a in b").is_err());
    }

    #[test]
    fn json_selectors() {
        let l = json!({"env": "prod", "team": "a"});
        let m = l.as_object();
        for (sel, want) in [
            (json!(null), true),
            (json!({}), true),
            (json!({"matchLabels": {"env": "prod"}}), true),
            (json!({"matchLabels": {"env": "dev"}}), false),
            (
                json!({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]}]}),
                true,
            ),
            (
                json!({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}),
                false,
            ),
            (
                json!({"matchExpressions": [{"key": "x", "operator": "NotIn", "values": ["prod"]}]}),
                true,
            ),
            (
                json!({"matchExpressions": [{"key": "team", "operator": "Exists"}]}),
                true,
            ),
            (
                json!({"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]}),
                false,
            ),
            (
                json!({"matchLabels": {"env": "prod"}, "matchExpressions": [{"key": "x", "operator": "Exists"}]}),
                false,
            ),
        ] {
            assert_eq!(
                LabelSelector::from_json(&sel).unwrap().matches(m),
                want,
                "{sel}"
            );
        }
        for bad in [
            json!({"matchExpressions": [{"key": "env", "operator": "In"}]}),
            json!({"matchExpressions": [{"key": "env", "operator": "Exists", "values": ["a"]}]}),
            json!({"matchExpressions": [{"key": "env", "operator": "Gt", "values": ["1"]}]}),
            json!({"matchLabels": {"env": 1}}),
            json!("env=prod"),
        ] {
            assert!(LabelSelector::from_json(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fields() {
        let p =
            json!({"metadata": {"name": "x", "namespace": "d"}, "status": {"phase": "Running"}});
        assert!(
            FieldSelector::parse("status.phase=Running", "Pod")
                .unwrap()
                .matches(&p)
        );
        assert!(
            !FieldSelector::parse("metadata.name!=x", "Pod")
                .unwrap()
                .matches(&p)
        );
        assert!(FieldSelector::parse("spec.foo=1", "Pod").is_err());
    }
}

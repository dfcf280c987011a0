//! `meta.k8s.io/v1` Table responses, the columns kubectl prints for `kubectl get`.

use serde_json::{Value, json};

use crate::registry::ResourceDef;

fn col(name: &str, ty: &str, priority: u8) -> Value {
    let mut c =
        json!({"name": name, "type": ty, "format": "", "description": name, "priority": priority});
    if name == "Name" {
        c["format"] = json!("name");
    }
    c
}

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn n(v: &Value, ptr: &str) -> i64 {
    v.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

/// kube's HumanDuration.
pub fn human_duration(secs: i64) -> String {
    if secs < 0 {
        return "<invalid>".into();
    }
    let (m, h, d) = (secs / 60, secs / 3600, secs / 86400);
    if secs < 120 {
        format!("{secs}s")
    } else if m < 10 {
        let r = secs % 60;
        if r == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{r}s")
        }
    } else if h < 3 {
        format!("{m}m")
    } else if h < 8 {
        let r = m % 60;
        if r == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{r}m")
        }
    } else if h < 48 {
        format!("{h}h")
    } else if d < 8 {
        let r = h % 24;
        if r == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{r}h")
        }
    } else if d < 365 * 2 {
        format!("{d}d")
    } else {
        format!("{}y", d / 365)
    }
}

fn age(obj: &Value, now: i64) -> String {
    match obj
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
    {
        Some(t) => human_duration(now - t.as_second()),
        None => "<unknown>".into(),
    }
}

fn columns(def: &ResourceDef) -> Vec<Value> {
    let mut c = vec![col("Name", "string", 0)];
    let extra: &[(&str, &str, u8)] = match (def.group.as_str(), def.kind.as_str()) {
        ("", "Pod") => &[
            ("Ready", "string", 0),
            ("Status", "string", 0),
            ("Restarts", "string", 0),
            ("Age", "string", 0),
            ("IP", "string", 1),
            ("Node", "string", 1),
        ],
        ("apps", "Deployment") => &[
            ("Ready", "string", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Age", "string", 0),
        ],
        ("apps", "ReplicaSet") | ("", "ReplicationController") => &[
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Age", "string", 0),
        ],
        ("apps", "StatefulSet") => &[("Ready", "string", 0), ("Age", "string", 0)],
        ("apps", "DaemonSet") => &[
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Age", "string", 0),
        ],
        ("", "Service") => &[
            ("Type", "string", 0),
            ("Cluster-IP", "string", 0),
            ("External-IP", "string", 0),
            ("Port(s)", "string", 0),
            ("Age", "string", 0),
        ],
        ("", "Namespace") => &[("Status", "string", 0), ("Age", "string", 0)],
        ("", "Node") => &[
            ("Status", "string", 0),
            ("Roles", "string", 0),
            ("Age", "string", 0),
            ("Version", "string", 0),
        ],
        ("", "ConfigMap") => &[("Data", "integer", 0), ("Age", "string", 0)],
        ("", "Secret") => &[
            ("Type", "string", 0),
            ("Data", "integer", 0),
            ("Age", "string", 0),
        ],
        ("", "ServiceAccount") => &[("Age", "string", 0)],
        ("batch", "Job") => &[
            ("Status", "string", 0),
            ("Completions", "string", 0),
            ("Age", "string", 0),
        ],
        ("batch", "CronJob") => &[
            ("Schedule", "string", 0),
            ("Suspend", "boolean", 0),
            ("Active", "integer", 0),
            ("Age", "string", 0),
        ],
        ("", "PersistentVolumeClaim") => &[
            ("Status", "string", 0),
            ("Volume", "string", 0),
            ("Age", "string", 0),
        ],
        ("", "Event") | ("events.k8s.io", "Event") => &[
            ("Type", "string", 0),
            ("Reason", "string", 0),
            ("Object", "string", 0),
            ("Message", "string", 0),
        ],
        ("apiextensions.k8s.io", "CustomResourceDefinition") => &[("Created At", "date", 0)],
        _ => &[("Age", "string", 0)],
    };
    for (name, ty, p) in extra {
        c.push(col(name, ty, *p));
    }
    if def.crd.is_some() && !def.printer_columns.is_empty() {
        c = vec![col("Name", "string", 0)];
        for pc in &def.printer_columns {
            let name = pc.get("name").and_then(Value::as_str).unwrap_or("");
            let ty = pc.get("type").and_then(Value::as_str).unwrap_or("string");
            let ty = if ty == "date" { "string" } else { ty };
            let p = pc.get("priority").and_then(Value::as_u64).unwrap_or(0) as u8;
            c.push(col(name, ty, p));
        }
        if !def.printer_columns.iter().any(|p| {
            p.get("jsonPath").and_then(Value::as_str) == Some(".metadata.creationTimestamp")
        }) {
            c.push(col("Age", "string", 0));
        }
    }
    if def.kind == "Event" {
        c.insert(0, col("Last Seen", "string", 0));
        c.retain(|x| x["name"] != "Name");
        c.push(col("Name", "string", 1));
    }
    c
}

fn simple_json_path(obj: &Value, path: &str) -> Value {
    let p = path.trim_start_matches('.');
    let ptr = format!("/{}", p.replace('.', "/"));
    obj.pointer(&ptr).cloned().unwrap_or(Value::Null)
}

fn cells(def: &ResourceDef, obj: &Value, now: i64) -> Vec<Value> {
    let name = s(obj, "/metadata/name").to_string();
    let a = age(obj, now);
    if def.crd.is_some() && !def.printer_columns.is_empty() {
        let mut out = vec![json!(name)];
        for pc in &def.printer_columns {
            let path = pc.get("jsonPath").and_then(Value::as_str).unwrap_or("");
            let ty = pc.get("type").and_then(Value::as_str).unwrap_or("string");
            let v = simple_json_path(obj, path);
            if ty == "date" {
                out.push(json!(
                    v.as_str()
                        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                        .map(|t| human_duration(now - t.as_second()))
                        .unwrap_or_default()
                ));
            } else {
                out.push(v);
            }
        }
        if !def.printer_columns.iter().any(|p| {
            p.get("jsonPath").and_then(Value::as_str) == Some(".metadata.creationTimestamp")
        }) {
            out.push(json!(a));
        }
        return out;
    }
    match (def.group.as_str(), def.kind.as_str()) {
        ("", "Pod") => {
            let total = obj
                .pointer("/spec/containers")
                .and_then(Value::as_array)
                .map(|a| a.len())
                .unwrap_or(0);
            let statuses = obj
                .pointer("/status/containerStatuses")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let ready = statuses
                .iter()
                .filter(|c| c.get("ready").and_then(Value::as_bool) == Some(true))
                .count();
            let restarts: i64 = statuses
                .iter()
                .map(|c| c.get("restartCount").and_then(Value::as_i64).unwrap_or(0))
                .sum();
            let mut status = s(obj, "/status/phase").to_string();
            if !s(obj, "/status/reason").is_empty() {
                status = s(obj, "/status/reason").to_string();
            }
            for c in &statuses {
                let w = s(c, "/state/waiting/reason");
                if !w.is_empty() {
                    status = w.to_string();
                }
                let t = s(c, "/state/terminated/reason");
                if !t.is_empty() && status == "Running" {
                    status = t.to_string();
                }
            }
            if obj.pointer("/metadata/deletionTimestamp").is_some() {
                status = "Terminating".into();
            }
            let ip = s(obj, "/status/podIP");
            let node = s(obj, "/spec/nodeName");
            vec![
                json!(name),
                json!(format!("{ready}/{total}")),
                json!(status),
                json!(restarts.to_string()),
                json!(a),
                json!(if ip.is_empty() { "<none>" } else { ip }),
                json!(if node.is_empty() { "<none>" } else { node }),
            ]
        }
        ("apps", "Deployment") => vec![
            json!(name),
            json!(format!(
                "{}/{}",
                n(obj, "/status/readyReplicas"),
                n(obj, "/spec/replicas")
            )),
            json!(n(obj, "/status/updatedReplicas")),
            json!(n(obj, "/status/availableReplicas")),
            json!(a),
        ],
        ("apps", "ReplicaSet") | ("", "ReplicationController") => vec![
            json!(name),
            json!(n(obj, "/spec/replicas")),
            json!(n(obj, "/status/replicas")),
            json!(n(obj, "/status/readyReplicas")),
            json!(a),
        ],
        ("apps", "StatefulSet") => vec![
            json!(name),
            json!(format!(
                "{}/{}",
                n(obj, "/status/readyReplicas"),
                n(obj, "/spec/replicas")
            )),
            json!(a),
        ],
        ("apps", "DaemonSet") => vec![
            json!(name),
            json!(n(obj, "/status/desiredNumberScheduled")),
            json!(n(obj, "/status/currentNumberScheduled")),
            json!(n(obj, "/status/numberReady")),
            json!(n(obj, "/status/updatedNumberScheduled")),
            json!(n(obj, "/status/numberAvailable")),
            json!(a),
        ],
        ("", "Service") => {
            let ports: Vec<String> = obj
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            let port = p.get("port").map(|v| v.to_string()).unwrap_or_default();
                            let np = p
                                .get("nodePort")
                                .map(|v| format!(":{v}"))
                                .unwrap_or_default();
                            format!(
                                "{port}{np}/{}",
                                p.get("protocol").and_then(Value::as_str).unwrap_or("TCP")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let ext = obj
                .pointer("/status/loadBalancer/ingress/0/ip")
                .and_then(Value::as_str)
                .unwrap_or(if s(obj, "/spec/type") == "LoadBalancer" {
                    "<pending>"
                } else {
                    "<none>"
                });
            vec![
                json!(name),
                json!(s(obj, "/spec/type")),
                json!(s(obj, "/spec/clusterIP")),
                json!(ext),
                json!(if ports.is_empty() {
                    "<none>".to_string()
                } else {
                    ports.join(",")
                }),
                json!(a),
            ]
        }
        ("", "Namespace") => vec![json!(name), json!(s(obj, "/status/phase")), json!(a)],
        ("", "Node") => {
            let ready = obj
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
                .map(|c| {
                    if c["status"] == "True" {
                        "Ready"
                    } else {
                        "NotReady"
                    }
                })
                .unwrap_or("Unknown");
            let roles: Vec<String> = obj
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .map(|l| {
                    l.keys()
                        .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            vec![
                json!(name),
                json!(ready),
                json!(if roles.is_empty() {
                    "<none>".into()
                } else {
                    roles.join(",")
                }),
                json!(a),
                json!(s(obj, "/status/nodeInfo/kubeletVersion")),
            ]
        }
        ("", "ConfigMap") => {
            let c = obj
                .get("data")
                .and_then(Value::as_object)
                .map(|m| m.len())
                .unwrap_or(0)
                + obj
                    .get("binaryData")
                    .and_then(Value::as_object)
                    .map(|m| m.len())
                    .unwrap_or(0);
            vec![json!(name), json!(c), json!(a)]
        }
        ("", "Secret") => {
            let c = obj
                .get("data")
                .and_then(Value::as_object)
                .map(|m| m.len())
                .unwrap_or(0);
            vec![json!(name), json!(s(obj, "/type")), json!(c), json!(a)]
        }
        ("", "ServiceAccount") => vec![json!(name), json!(a)],
        ("batch", "Job") => {
            let done = obj
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .and_then(|cs| {
                    cs.iter().find(|c| {
                        c["status"] == "True" && (c["type"] == "Complete" || c["type"] == "Failed")
                    })
                })
                .and_then(|c| c["type"].as_str())
                .unwrap_or("Running");
            vec![
                json!(name),
                json!(done),
                json!(format!(
                    "{}/{}",
                    n(obj, "/status/succeeded"),
                    n(obj, "/spec/completions").max(1)
                )),
                json!(a),
            ]
        }
        ("batch", "CronJob") => vec![
            json!(name),
            json!(s(obj, "/spec/schedule")),
            json!(
                obj.pointer("/spec/suspend")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            ),
            json!(
                obj.pointer("/status/active")
                    .and_then(Value::as_array)
                    .map(|a| a.len())
                    .unwrap_or(0)
            ),
            json!(a),
        ],
        ("", "PersistentVolumeClaim") => vec![
            json!(name),
            json!(s(obj, "/status/phase")),
            json!(s(obj, "/spec/volumeName")),
            json!(a),
        ],
        ("", "Event") | ("events.k8s.io", "Event") => {
            let last = [
                "/lastTimestamp",
                "/eventTime",
                "/metadata/creationTimestamp",
            ]
            .iter()
            .find_map(|p| obj.pointer(p).and_then(Value::as_str))
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(|t| human_duration(now - t.as_second()))
            .unwrap_or_else(|| "<unknown>".into());
            let io = obj.get("involvedObject").or_else(|| obj.get("regarding"));
            let object = io
                .map(|o| format!("{}/{}", s(o, "/kind").to_lowercase(), s(o, "/name")))
                .unwrap_or_default();
            let msg = if obj.get("message").is_some() {
                s(obj, "/message")
            } else {
                s(obj, "/note")
            };
            vec![
                json!(last),
                json!(s(obj, "/type")),
                json!(s(obj, "/reason")),
                json!(object),
                json!(msg),
                json!(name),
            ]
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            vec![json!(name), json!(s(obj, "/metadata/creationTimestamp"))]
        }
        _ => vec![json!(name), json!(a)],
    }
}

pub fn row(def: &ResourceDef, obj: &Value, include_object: &str, now: i64) -> Value {
    let object = match include_object {
        "None" => Value::Null,
        "Object" => obj.clone(),
        _ => json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata").cloned().unwrap_or(json!({})),
        }),
    };
    let mut r = json!({"cells": cells(def, obj, now)});
    if !object.is_null() {
        r["object"] = object;
    }
    r
}

pub fn table(
    def: &ResourceDef,
    rows: Vec<Value>,
    rv: &str,
    cont: Option<&str>,
    remaining: Option<usize>,
) -> Value {
    let mut meta = json!({"resourceVersion": rv});
    if let Some(c) = cont {
        meta["continue"] = json!(c);
    }
    if let Some(r) = remaining {
        meta["remainingItemCount"] = json!(r);
    }
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "columnDefinitions": columns(def),
        "rows": rows,
    })
}

//! The scenarios recovered from a backup: `data-loss` (the scratch namespace deleted,
//! restored, compared object by object) and `config-corruption` (its ConfigMaps and Secrets
//! overwritten, detected as drift, restored from the backup, compared value by value).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Drill, DrillResult, contents, present, verify, watched_objects};

pub(super) async fn data_loss(d: &Drill<'_>, r: &mut DrillResult) {
    let Some((store, key)) = backup_of(d, r, "data-loss") else {
        return;
    };
    let ns = d.deploy.namespace.clone();
    let Some(created) = back_up(d, r, store, key, "data-loss").await else {
        return;
    };
    // What the set's objects hold before the loss, to compare object by object.
    let watched = watched_objects(&d.objects);
    let before = contents(d, &watched).await;
    // The loss: the whole namespace deleted.
    let started = Instant::now();
    let ns_type = match d.cluster.resource_type("v1", "Namespace").await {
        Ok(t) => t,
        Err(e) => {
            r.errors.push(e.to_string());
            return;
        }
    };
    if let Err(e) = d.cluster.delete_object(&ns_type, None, &ns, false).await {
        r.errors
            .push(e.diagnostic("delete the namespace").to_string());
        return;
    }
    r.steps.push(format!("deleted namespace {ns}"));
    // Detection: the set's objects are gone.
    loop {
        if present(d, &watched).await == 0 {
            break;
        }
        if started.elapsed() > d.detection_timeout {
            r.errors
                .push("the deleted objects were still there at the timeout".into());
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let detection = started.elapsed().as_secs_f64();
    r.detection_seconds = Some(detection);
    r.steps.push(format!(
        "detected after {detection:.1} s: none of the set's {} objects is left",
        watched.len()
    ));
    // Recovery: the backup restored (gated, applied through deploy).
    let t = Instant::now();
    let Some(applied) = restore_from(d, r, store, key, &created.id, Vec::new()).await else {
        return;
    };
    let recovery = t.elapsed().as_secs_f64();
    r.recovery_seconds = Some(recovery);
    let back = present(d, &watched).await;
    r.steps.push(format!(
        "restored {applied} objects from {} in {recovery:.1} s; {back} of the set's {} objects are back",
        created.id,
        watched.len()
    ));
    if back != watched.len() {
        r.errors.push(format!(
            "only {back} of {} objects came back",
            watched.len()
        ));
        return;
    }
    if before.is_empty() || before.len() != watched.len() {
        r.errors.push(format!(
            "only {} of the set's {} objects could be read before the loss",
            before.len(),
            watched.len()
        ));
        return;
    }
    let after = contents(d, &watched).await;
    let differ: Vec<&String> = before
        .iter()
        .filter(|(k, v)| after.get(*k) != Some(v))
        .map(|(k, _)| k)
        .collect();
    if differ.is_empty() {
        r.verified = true;
        r.steps.push(format!(
            "verified object by object: the {} restored objects hold what they held before",
            before.len()
        ));
    } else {
        r.errors.push(format!(
            "restored objects differ from before the loss: {}",
            differ
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
}

/// The store and key, or an error saying the scenario needs them.
fn backup_of<'a>(
    d: &'a Drill<'_>,
    r: &mut DrillResult,
    scenario: &str,
) -> Option<&'a (crate::backup::Store, crate::seal::Key)> {
    if d.backup.is_none() {
        r.errors.push(format!(
            "{scenario} needs a backup key (CONFGATE_BACKUP_KEY, --key-file or [backup] key-command)"
        ));
    }
    d.backup.as_ref()
}

/// A full backup of the scratch namespace, through `backup::create`.
async fn back_up(
    d: &Drill<'_>,
    r: &mut DrillResult,
    store: &crate::backup::Store,
    key: &crate::seal::Key,
    scenario: &str,
) -> Option<crate::backup::Manifest> {
    let ns = d.deploy.namespace.clone();
    let opts = crate::backup::create::CreateOptions {
        namespaces: vec![ns.clone()],
        description: Some(format!("disaster-test: {scenario}")),
        ..Default::default()
    };
    match crate::backup::create::create(d.cluster, store, key, Some((&d.scanner, d.gate)), &opts)
        .await
    {
        Ok(c) => {
            r.steps.push(format!(
                "backed up namespace {ns}: {} objects as {}",
                c.manifest.totals.objects, c.manifest.id
            ));
            Some(c.manifest)
        }
        Err(e) => {
            r.errors.push(e.to_string());
            None
        }
    }
}

/// Restores backup `id` (only `kinds`, empty: all) into the scratch namespace, gated and
/// applied through deploy; the number of objects applied.
async fn restore_from(
    d: &Drill<'_>,
    r: &mut DrillResult,
    store: &crate::backup::Store,
    key: &crate::seal::Key,
    id: &str,
    kinds: Vec<String>,
) -> Option<usize> {
    let ropts = crate::backup::restore::RestoreOptions {
        namespace_map: Vec::new(),
        kinds,
        namespaces: Vec::new(),
        apply: true,
        allow_findings: true,
        force_conflicts: true,
        timeout: d.deploy.timeout,
    };
    let restored =
        crate::backup::restore::restore(d.cluster, store, key, &d.scanner, d.gate, id, &ropts)
            .await;
    if restored.stopped.is_some() || !restored.errors.is_empty() {
        r.errors.push(format!(
            "the restore of {id} failed: {}",
            restored
                .errors
                .first()
                .map(|e| e.to_string())
                .unwrap_or_else(|| format!("stopped at {:?}", restored.stopped))
        ));
        return None;
    }
    Some(restored.applied.len())
}

/// What a corrupted value becomes.
const CORRUPTED: &str = "corrupted by confgate disaster-test";

/// `live` (a ConfigMap or Secret) with every value of its `data` (and `binaryData`)
/// overwritten, its keys kept (a key added by someone else would outlive an apply of the
/// set); `None` when it holds no value to corrupt.
pub fn corrupt(live: &Value) -> Option<Value> {
    use base64::Engine as _;
    let kind = live.get("kind").and_then(Value::as_str)?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(CORRUPTED);
    let mut out = live.clone();
    let mut changed = false;
    for (field, value) in [
        (
            "data",
            if kind == "Secret" {
                &encoded
            } else {
                CORRUPTED
            },
        ),
        ("binaryData", encoded.as_str()),
    ] {
        if let Some(Value::Object(m)) = out.get_mut(field) {
            for v in m.values_mut() {
                *v = Value::String(value.to_string());
                changed = true;
            }
        }
    }
    if let Some(m) = out.as_object_mut() {
        m.remove("stringData");
    }
    changed.then_some(out)
}

/// Does the pod template of `workload` read ConfigMap/Secret `name` (`envFrom`, `env`
/// `valueFrom`, a volume, a projected volume)?
pub fn reads_config(workload: &Value, kind: &str, name: &str) -> bool {
    let Some(spec) = workload.pointer("/spec/template/spec") else {
        return false;
    };
    let (from, key_ref, volume) = if kind == "Secret" {
        ("secretRef", "secretKeyRef", "secret")
    } else {
        ("configMapRef", "configMapKeyRef", "configMap")
    };
    let named = |v: Option<&Value>, field: &str| {
        v.and_then(|v| v.get(field)).and_then(Value::as_str) == Some(name)
    };
    let containers = ["containers", "initContainers"]
        .iter()
        .filter_map(|c| spec.get(*c).and_then(Value::as_array))
        .flatten();
    for c in containers {
        let env_from = c.get("envFrom").and_then(Value::as_array);
        if env_from.is_some_and(|l| l.iter().any(|e| named(e.get(from), "name"))) {
            return true;
        }
        let env = c.get("env").and_then(Value::as_array);
        if env.is_some_and(|l| {
            l.iter()
                .any(|e| named(e.pointer("/valueFrom").and_then(|v| v.get(key_ref)), "name"))
        }) {
            return true;
        }
    }
    let field = if kind == "Secret" {
        "secretName"
    } else {
        "name"
    };
    spec.get("volumes")
        .and_then(Value::as_array)
        .is_some_and(|vs| {
            vs.iter().any(|v| {
                named(v.get(volume), field)
                    || v.pointer("/projected/sources")
                        .and_then(Value::as_array)
                        .is_some_and(|s| s.iter().any(|s| named(s.get(volume), "name")))
            })
        })
}

pub(super) async fn config_corruption(d: &Drill<'_>, r: &mut DrillResult) {
    let configs: Vec<(String, String, String)> = watched_objects(&d.objects)
        .into_iter()
        .filter(|(_, k, _)| k == "ConfigMap" || k == "Secret")
        .collect();
    if configs.is_empty() {
        r.errors
            .push("the set has no ConfigMap or Secret to corrupt".into());
        return;
    }
    let Some((store, key)) = backup_of(d, r, "config-corruption") else {
        return;
    };
    let Some(created) = back_up(d, r, store, key, "config-corruption").await else {
        return;
    };
    let ns = d.deploy.namespace.clone();
    // The corruption: every value of the set's ConfigMaps and Secrets overwritten.
    let started = Instant::now();
    let mut corrupted = Vec::new();
    for (v, k, name) in &configs {
        let t = match d.cluster.resource_type(v, k).await {
            Ok(t) => t,
            Err(e) => {
                r.errors.push(e.to_string());
                return;
            }
        };
        let live = match d.cluster.get_object(&t, Some(&ns), name).await {
            Ok(Some(l)) => l,
            Ok(None) => continue,
            Err(e) => {
                r.errors.push(e.to_string());
                return;
            }
        };
        let Some(bad) = corrupt(&live) else {
            continue;
        };
        if let Err(e) = d.cluster.replace_object(&t, Some(&ns), &bad).await {
            r.errors
                .push(e.diagnostic("corrupt the configuration").to_string());
            return;
        }
        corrupted.push((v.clone(), k.clone(), name.clone()));
    }
    if corrupted.is_empty() {
        r.errors
            .push("the set's ConfigMaps and Secrets hold no value to corrupt".into());
        return;
    }
    let shown: Vec<String> = corrupted
        .iter()
        .map(|(_, k, n)| format!("{k}/{ns}/{n}"))
        .collect();
    r.steps
        .push(format!("overwrote every value of {}", shown.join(", ")));
    // Detection: every corrupted object drifts from the files.
    let detected = loop {
        let (_, drift) = super::drift_of(d).await;
        if shown.iter().all(|s| drift.contains(s)) {
            break true;
        }
        if started.elapsed() > d.detection_timeout {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    if !detected {
        r.errors
            .push("the corruption was not detected as drift from the files".into());
        return;
    }
    let detection = started.elapsed().as_secs_f64();
    r.detection_seconds = Some(detection);
    r.steps.push(format!(
        "detected after {detection:.1} s: drift on {}",
        shown.join(", ")
    ));
    // Health: the workloads reading the corrupted configuration.
    let readers: Vec<(String, String, String)> = {
        let owned: Vec<Value> = d
            .objects
            .iter()
            .filter(|o| corrupted.iter().any(|(_, k, n)| reads_config(o, k, n)))
            .cloned()
            .collect();
        watched_objects(&owned)
    };
    r.dependents = super::health_of(d, &readers).await;
    r.steps.push(format!(
        "workloads reading the corrupted configuration: {}",
        super::health_line(&r.dependents)
    ));
    // Recovery: the ConfigMaps and Secrets restored from the backup.
    let t = Instant::now();
    let kinds = vec!["ConfigMap".to_string(), "Secret".to_string()];
    let Some(applied) = restore_from(d, r, store, key, &created.id, kinds).await else {
        return;
    };
    let recovery = t.elapsed().as_secs_f64();
    r.recovery_seconds = Some(recovery);
    r.steps.push(format!(
        "restored {applied} ConfigMaps and Secrets from {} in {recovery:.1} s",
        created.id
    ));
    // Verification: value by value against the backup's copy, and drift-free.
    let backed_up = match backed_up_contents(store, key, &created.id, &corrupted).await {
        Ok(b) => b,
        Err(e) => {
            r.errors.push(e);
            return;
        }
    };
    let after = contents(d, &corrupted).await;
    let differ = super::compare(&backed_up, &after);
    if backed_up.len() != corrupted.len() {
        r.errors.push(format!(
            "the backup holds {} of the {} corrupted objects",
            backed_up.len(),
            corrupted.len()
        ));
        return;
    }
    if !differ.is_empty() {
        r.errors.push(format!(
            "restored configuration differs from the backup: {}",
            differ.join(", ")
        ));
        return;
    }
    r.steps.push(format!(
        "verified value by value: the {} restored objects are identical to the backup",
        corrupted.len()
    ));
    r.verified = verify(d, r).await;
}

/// The `data` of each of `objects` as backup `id` holds it (keyed like `contents`).
async fn backed_up_contents(
    store: &crate::backup::Store,
    key: &crate::seal::Key,
    id: &str,
    objects: &[(String, String, String)],
) -> Result<std::collections::BTreeMap<String, (Value, Value)>, String> {
    let loaded = crate::backup::load::load_all(store, key, id)
        .await
        .map_err(|e| e.to_string())?;
    let mut out = std::collections::BTreeMap::new();
    for (_, o) in &loaded.objects {
        let s = |p: &str| o.pointer(p).and_then(Value::as_str).unwrap_or("");
        if objects
            .iter()
            .any(|(_, k, n)| k == s("/kind") && n == s("/metadata/name"))
        {
            let part = |p: &str| o.get(p).cloned().unwrap_or(Value::Null);
            out.insert(
                format!("{}/{}", s("/kind"), s("/metadata/name")),
                (part("spec"), part("data")),
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn corruption_overwrites_every_value_and_keeps_the_keys() {
        let cm =
            json!({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}});
        let bad = corrupt(&cm).unwrap();
        assert_eq!(bad["data"]["a"], CORRUPTED);
        assert_eq!(bad["data"].as_object().unwrap().len(), 2);
        let secret =
            json!({"kind": "Secret", "metadata": {"name": "s"}, "data": {"p": "cGFzcw=="}});
        let bad = corrupt(&secret).unwrap();
        assert_ne!(bad["data"]["p"], "cGFzcw==");
        assert!(corrupt(&json!({"kind": "ConfigMap", "metadata": {"name": "e"}})).is_none());
    }

    #[test]
    fn a_workload_reads_config_through_env_from_key_refs_and_volumes() {
        let w = |spec: Value| json!({"spec": {"template": {"spec": spec}}});
        assert!(reads_config(
            &w(json!({"containers": [{"envFrom": [{"configMapRef": {"name": "c"}}]}]})),
            "ConfigMap",
            "c"
        ));
        assert!(reads_config(
            &w(
                json!({"containers": [{"env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "s", "key": "p"}}}]}]})
            ),
            "Secret",
            "s"
        ));
        assert!(reads_config(
            &w(json!({"volumes": [{"name": "v", "secret": {"secretName": "s"}}]})),
            "Secret",
            "s"
        ));
        assert!(reads_config(
            &w(
                json!({"volumes": [{"name": "v", "projected": {"sources": [{"configMap": {"name": "c"}}]}}]})
            ),
            "ConfigMap",
            "c"
        ));
        assert!(!reads_config(
            &w(json!({"containers": [{"envFrom": [{"configMapRef": {"name": "other"}}]}]})),
            "ConfigMap",
            "c"
        ));
        // A ConfigMap named like a Secret is not it.
        assert!(!reads_config(
            &w(json!({"volumes": [{"name": "v", "secret": {"secretName": "c"}}]})),
            "ConfigMap",
            "c"
        ));
    }
}

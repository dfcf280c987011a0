//! Runs the controller (`crate::controller::reconcile`) every 100 ms on a snapshot of the
//! objects and writes its changes through the store, so watchers see them.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::Shared;
use crate::store::{Store, WriteCtx, meta_str};

use crate::controller as ctl;

pub async fn run(shared: Arc<Shared>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The snapshot is rebuilt only when something was written since the last one.
    let mut snapshot: Vec<Value> = vec![];
    let mut snapshot_rv = 0u64;
    // A steady state (nothing written, the last call changed nothing) is reconciled only
    // once a second, or less often when one call takes long (at most a tenth of a core
    // goes to an idle store of ~100k objects): time-based progress (slow rollouts,
    // crash-loop restarts) still happens, and an idle server costs little CPU beside the
    // client being measured.
    let mut idle_ticks = 0u32;
    let mut idle_every = 10u32;
    let mut steady = false;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        {
            let st = shared.lock_store();
            if st.rv != snapshot_rv {
                snapshot = st.controller_objects();
                snapshot_rv = st.rv;
                steady = false;
            }
        }
        if steady {
            idle_ticks += 1;
            if idle_ticks < idle_every {
                continue;
            }
        }
        idle_ticks = 0;
        let now = jiff::Timestamp::now();
        let started = std::time::Instant::now();
        let changes = tokio::task::block_in_place(|| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                ctl::reconcile(&snapshot, now)
            }))
            .unwrap_or_default()
        });
        // Ten times the call's cost, in ticks of 100 ms, and never under a second.
        let cost_ticks = (started.elapsed().as_millis() / 10).min(600) as u32;
        idle_every = cost_ticks.max(10);
        if changes.is_empty() {
            steady = true;
            continue;
        }
        steady = false;
        let mut st = shared.lock_store();
        for c in changes {
            apply_change(&mut st, c);
        }
    }
}

fn apply_change(st: &mut Store, c: ctl::Change) {
    let ctx = WriteCtx::direct();
    match c {
        ctl::Change::Put(obj) | ctl::Change::Event(obj) => {
            let mut obj = obj;
            if meta_str(&obj, "name").is_none() && meta_str(&obj, "generateName").is_none() {
                let base = obj
                    .pointer("/involvedObject/name")
                    .and_then(Value::as_str)
                    .unwrap_or("testcluster")
                    .to_string();
                if !obj.get("metadata").is_some_and(Value::is_object) {
                    obj["metadata"] = serde_json::json!({});
                }
                obj["metadata"]["name"] =
                    serde_json::json!(format!("{base}.{}", crate::tls::random_hex(8)));
            }
            let av = obj
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or("v1")
                .to_string();
            let kind = obj
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("Event")
                .to_string();
            let Some((def, version)) = st.registry.find_kind(&av, &kind) else {
                return;
            };
            let ns = def
                .namespaced
                .then(|| meta_str(&obj, "namespace").unwrap_or("default").to_string());
            let name = meta_str(&obj, "name").unwrap_or("").to_string();
            match st.get(&def, ns.as_deref(), &name) {
                Some(old) => {
                    let mut obj = obj;
                    // A stale resourceVersion from the snapshot must not block the write.
                    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                        m.remove("resourceVersion");
                    }
                    let _ = st.update(&def, &version, &old, obj, None, &ctx, false);
                }
                None => {
                    if let Some(n) = &ns
                        && !st.namespace_exists(n)
                    {
                        return;
                    }
                    let _ = st.create(&def, &version, ns.as_deref(), obj, &ctx, false);
                }
            }
        }
        ctl::Change::Status(obj) => {
            let av = obj
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let kind = obj
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let Some((def, version)) = st.registry.find_kind(&av, &kind) else {
                return;
            };
            let ns = def
                .namespaced
                .then(|| meta_str(&obj, "namespace").unwrap_or("default").to_string());
            let name = meta_str(&obj, "name").unwrap_or("").to_string();
            if let Some(old) = st.get(&def, ns.as_deref(), &name) {
                let mut new = (*old).clone();
                match obj.get("status") {
                    Some(s) => new["status"] = s.clone(),
                    None => {
                        if let Some(m) = new.as_object_mut() {
                            m.remove("status");
                        }
                    }
                }
                let _ = st.update(&def, &version, &old, new, Some("status"), &ctx, false);
            }
        }
        ctl::Change::Delete {
            api_version,
            kind,
            namespace,
            name,
        } => {
            let Some((def, _)) = st.registry.find_kind(&api_version, &kind) else {
                return;
            };
            let ns = if def.namespaced { namespace } else { None };
            let _ = st.delete(&def, ns.as_deref(), &name, Some("Background"), None, &ctx);
        }
    }
}

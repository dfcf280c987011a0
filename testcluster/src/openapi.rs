//! A minimal OpenAPI v3 description: one document per group-version listing each resource's
//! paths, its PATCH operation with `x-kubernetes-group-version-kind` and the query
//! parameters (notably `fieldValidation`). That is what kubectl reads to decide that the
//! server validates fields itself, so `kubectl apply --server-side` works without
//! `--validate=false`. No schemas: nothing here validates objects.

use serde_json::{Value, json};

use crate::registry::Registry;

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

pub fn root(reg: &Registry) -> Value {
    let mut paths = serde_json::Map::new();
    for (g, vs) in reg.groups() {
        for v in vs {
            let p = gv_path(&g, &v);
            paths.insert(
                p.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={:016X}", reg.generation)}),
            );
        }
    }
    json!({"paths": paths})
}

fn param(name: &str, location: &str) -> Value {
    let mut p =
        json!({"name": name, "in": location, "schema": {"type": "string", "uniqueItems": true}});
    if location == "path" {
        p["required"] = json!(true);
    }
    p
}

pub fn gv_doc(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let mut paths = serde_json::Map::new();
    let mut schemas = serde_json::Map::new();
    let mut any = false;
    for d in reg.defs.values() {
        if d.group != group || !d.versions.iter().any(|v| v == version) {
            continue;
        }
        any = true;
        let gvk = json!({"group": d.group, "version": version, "kind": d.kind});
        let prefix = format!("/{}", gv_path(group, version));
        let ns = if d.namespaced {
            "/namespaces/{namespace}"
        } else {
            ""
        };
        let ok = json!({"200": {"description": "OK"}, "401": {"description": "Unauthorized"}});
        let op = |action: &str, verb: &str| {
            let mut o = json!({
                "operationId": format!("{verb}{}", d.kind),
                "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": gvk,
                "responses": ok,
            });
            if matches!(action, "post" | "put" | "patch") {
                let mut ps = vec![
                    param("dryRun", "query"),
                    param("fieldManager", "query"),
                    param("fieldValidation", "query"),
                ];
                if action == "patch" {
                    ps.push(param("force", "query"));
                }
                o["parameters"] = json!(ps);
            }
            o
        };
        let mut common = vec![param("pretty", "query")];
        if d.namespaced {
            common.push(param("namespace", "path"));
        }
        let collection = format!("{prefix}{ns}/{}", d.plural);
        let mut coll_params = common.clone();
        coll_params.extend([
            param("dryRun", "query"),
            param("fieldManager", "query"),
            param("fieldValidation", "query"),
        ]);
        let mut coll = json!({"parameters": coll_params, "post": op("post", "create")});
        if !d.create_only {
            coll["get"] = op("list", "list");
            coll["delete"] = op("deletecollection", "deleteCollection");
        }
        paths.insert(collection.clone(), coll);
        if d.create_only {
            continue;
        }
        let mut item_params = common.clone();
        item_params.push(param("name", "path"));
        item_params.extend([
            param("dryRun", "query"),
            param("fieldManager", "query"),
            param("fieldValidation", "query"),
            param("force", "query"),
        ]);
        let item = json!({
            "parameters": item_params,
            "get": op("get", "read"),
            "put": op("put", "replace"),
            "patch": op("patch", "patch"),
            "delete": op("delete", "delete"),
        });
        paths.insert(format!("{collection}/{{name}}"), item.clone());
        for sub in [d.status.then_some("status"), d.scale.then_some("scale")]
            .into_iter()
            .flatten()
        {
            let mut s = json!({
                "parameters": item["parameters"],
                "get": op("get", "read"),
                "put": op("put", "replace"),
                "patch": op("patch", "patch"),
            });
            if sub == "scale" {
                let sgvk = json!({"group": "autoscaling", "version": "v1", "kind": "Scale"});
                for m in ["get", "put", "patch"] {
                    s[m]["x-kubernetes-group-version-kind"] = sgvk.clone();
                }
            }
            paths.insert(format!("{collection}/{{name}}/{sub}"), s);
        }
        let schema_name = format!(
            "io.k8s.testcluster.{}.{}.{}",
            if d.group.is_empty() { "core" } else { &d.group },
            version,
            d.kind
        );
        schemas.insert(
            schema_name,
            json!({
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": true,
                "x-kubernetes-group-version-kind": [gvk],
            }),
        );
    }
    if !any {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.37.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }))
}

//! End-to-end tests of `confgate validate` through the binary: every class of problem
//! (syntax, schema, json-schema, business, security) with passing and failing fixtures and
//! asserted positions, strict mode, output formats, scores, exit codes, settings and the
//! bundled example.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::Value;

use common::{Run, Scratch, repo_path, run_in};

const FIXTURES: &str = "tests/fixtures/validate";

/// `confgate validate ARGS` in the fixture directory (which has its own confgate.toml).
fn validate(args: &[&str]) -> Run {
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    run_in(&repo_path(FIXTURES), &all)
}

fn json(args: &[&str], code: i32) -> Value {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--output-format", "json"]);
    let r = validate(&all);
    r.expect_code(code);
    r.json()
}

fn errors(report: &Value) -> &Vec<Value> {
    report["errors"].as_array().expect("errors")
}

fn warnings(report: &Value) -> &Vec<Value> {
    report["warnings"].as_array().expect("warnings")
}

/// The one problem of `kind` at `path` in `list`.
fn one<'a>(list: &'a [Value], kind: &str, path: &str) -> &'a Value {
    let hits: Vec<&Value> = list
        .iter()
        .filter(|p| p["kind"] == kind && p["path"] == path)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "expected one {kind} problem at {path}, got {hits:#?}\nall: {list:#?}"
    );
    hits[0]
}

fn at(p: &Value) -> (u64, u64) {
    (p["line"].as_u64().unwrap(), p["column"].as_u64().unwrap())
}

#[test]
fn a_valid_prod_configuration_passes_every_check() {
    let r = json(
        &[
            "--config-dir",
            "valid",
            "--environment",
            "prod",
            "--security-compliance",
            "--strict",
        ],
        0,
    );
    assert_eq!(errors(&r), &Vec::<Value>::new(), "{r:#}");
    assert_eq!(r["valid"], true);
    assert_eq!(r["score"], 100);
    assert_eq!(r["summary"]["documents"], 7);
    assert_eq!(r["summary"]["checks"]["schema_checked"], 7);
    assert_eq!(r["summary"]["checks"]["json_schema_keys"], 1);
    assert!(r["summary"]["checks"]["security_rules"].as_u64().unwrap() > 100);
    assert_eq!(r["files"][0]["file"], format!("{FIXTURES}/valid/app.yaml"));
    assert_eq!(r["files"][0]["valid"], true);
    // The default config-dir comes from confgate.toml.
    let r = json(&["--environment", "prod"], 0);
    assert_eq!(r["files"][0]["file"], format!("{FIXTURES}/valid/app.yaml"));
}

#[test]
fn syntax_errors_have_exact_positions_and_do_not_hide_other_files() {
    let r = json(&["--config-dir", "syntax"], 1);
    let e = errors(&r);
    let yaml = e
        .iter()
        .find(|p| p["file"] == format!("{FIXTURES}/syntax/broken.yaml"))
        .unwrap();
    assert_eq!(yaml["kind"], "syntax");
    assert_eq!(at(yaml), (7, 8), "{yaml:#}");
    let json_err = e
        .iter()
        .find(|p| p["file"] == format!("{FIXTURES}/syntax/broken.json"))
        .unwrap();
    assert_eq!(json_err["kind"], "syntax");
    assert_eq!(at(json_err), (5, 21), "{json_err:#}");
    assert!(
        json_err["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid JSON")
    );
    let files = r["files"].as_array().unwrap();
    let fine = files
        .iter()
        .find(|f| f["file"] == format!("{FIXTURES}/syntax/fine.yaml"))
        .unwrap();
    assert_eq!(fine["valid"], true);
    assert_eq!(fine["score"], 100);
    let broken = files
        .iter()
        .find(|f| f["file"] == format!("{FIXTURES}/syntax/broken.yaml"))
        .unwrap();
    assert_eq!(broken["score"], 0);
    assert_eq!(r["summary"]["by_kind"]["syntax"]["errors"], 2);
}

#[test]
fn schema_errors_cover_types_formats_names_enums_and_removed_apis() {
    let r = json(&["--config-dir", "schema"], 1);
    let e = errors(&r);
    assert_eq!(at(one(e, "schema", "spec.replicas")), (8, 13));
    assert_eq!(at(one(e, "schema", "metadata.name")), (4, 9));
    let port = one(
        e,
        "schema",
        "spec.template.spec.containers[0].ports[0].containerPort",
    );
    assert_eq!(at(port), (21, 30));
    let mem = one(
        e,
        "schema",
        "spec.template.spec.containers[0].resources.limits.memory",
    );
    assert_eq!(at(mem), (24, 23));
    let pull = one(
        e,
        "schema",
        "spec.template.spec.containers[0].imagePullPolicy",
    );
    assert_eq!(at(pull), (25, 28));
    assert!(
        pull["message"].as_str().unwrap().contains("IfNotPresent"),
        "{pull:#}"
    );
    let ingress = one(
        &e.iter()
            .filter(|p| p["resource"]["kind"] == "Ingress")
            .cloned()
            .collect::<Vec<_>>(),
        "schema",
        "apiVersion",
    )
    .clone();
    assert_eq!(ingress["resource"]["kind"], "Ingress");
    assert_eq!(at(&ingress), (29, 13));
    assert!(
        ingress["message"]
            .as_str()
            .unwrap()
            .contains("networking.k8s.io/v1"),
        "{ingress:#}"
    );
    // A document with a kind but no apiVersion is not silently skipped.
    let missing = e
        .iter()
        .find(|p| p["file"] == format!("{FIXTURES}/schema/incomplete.yaml"))
        .unwrap();
    assert_eq!(
        (missing["path"].as_str(), at(missing)),
        (Some("apiVersion"), (1, 1))
    );
    // Unknown fields are warnings unless --strict.
    let w = warnings(&r);
    let unknown = one(w, "schema", "spec.replica");
    assert_eq!(at(unknown), (27, 3));
    assert!(unknown["message"].as_str().unwrap().contains("replicas"));
    // Custom resources are not checked against the built-in schema.
    assert_eq!(r["summary"]["checks"]["schema_not_builtin"], 1);
    assert!(
        !e.iter().any(|p| p["resource"]["kind"] == "Widget"),
        "{e:#?}"
    );

    let strict = json(&["--config-dir", "schema", "--strict-mode"], 1);
    assert!(warnings(&strict).is_empty());
    one(errors(&strict), "schema", "spec.replica");
}

#[test]
fn the_schema_follows_kube_version() {
    // extensions/v1beta1 Ingress was still served by… no bundled version; autoscaling/v2beta2
    // was removed in 1.26.
    let s = Scratch::new();
    s.write(
        "hpa.yaml",
        "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  minReplicas: 2\n  maxReplicas: 5\n",
    );
    let old = s.run(&[
        "validate",
        "--config-dir",
        ".",
        "--kube-version",
        "1.25",
        "-f",
        "json",
    ]);
    old.expect_code(0);
    let new = s.run(&[
        "validate",
        "--config-dir",
        ".",
        "--kube-version",
        "1.37",
        "-f",
        "json",
    ]);
    new.expect_code(1);
    let r = new.json();
    let p = one(errors(&r), "schema", "apiVersion");
    assert_eq!(at(p), (1, 13));
    assert_eq!(r["kube_version"], "1.37");
    let bad = s.run(&["validate", "--config-dir", ".", "--kube-version", "banana"]);
    bad.expect_code(2);
    assert!(bad.stderr.contains("banana"), "{}", bad.stderr);
}

#[test]
fn configmap_data_is_checked_against_json_schemas_with_positions_in_the_block() {
    let r = json(&["--config-dir", "jsonschema"], 1);
    let e = errors(&r);
    let port = one(e, "json-schema", "data[\"app.json\"].database.port");
    assert_eq!(at(port), (11, 42), "{port:#}");
    let feature = one(e, "json-schema", "data[\"app.json\"].features[1]");
    assert_eq!(at(feature), (12, 30), "{feature:#}");
    let extra = one(e, "json-schema", "data[\"settings.yaml\"]");
    assert_eq!(at(extra).0, 15, "{extra:#}");
    assert!(extra["message"].as_str().unwrap().contains("colour"));
    // Custom formats: Go durations (also k8s-quantity, dns-1123-label/subdomain).
    let timeout = one(e, "json-schema", "data[\"settings.yaml\"].timeout");
    assert_eq!(at(timeout), (20, 14), "{timeout:#}");
    assert!(timeout["message"].as_str().unwrap().contains("go-duration"));
    // Plain keys (LOG_LEVEL) are not documents and are not checked.
    assert_eq!(r["summary"]["checks"]["json_schema_keys"], 2);
    // Checked values are never echoed.
    assert!(!port["message"].as_str().unwrap().contains("5432"));
}

#[test]
fn schemas_mapped_in_confgate_toml_apply_by_name_and_key() {
    let s = Scratch::new();
    std::fs::create_dir_all(s.path().join("schemas")).unwrap();
    std::fs::copy(
        repo_path(FIXTURES).join("schemas/app-config.schema.json"),
        s.path().join("schemas/app.json"),
    )
    .unwrap();
    s.write(
        "confgate.toml",
        "[[validate.schemas]]\nconfigmap = \"mapped-*\"\nkey = \"*.json\"\nschema = \"schemas/app.json\"\n",
    );
    s.write(
        "cfg/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mapped-one\ndata:\n  app.json: '{\"database\": {\"host\": \"db\"}, \"features\": []}'\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata:\n  app.json: '{}'\n",
    );
    let r = s.run(&["validate", "--config-dir", "cfg", "-f", "json"]);
    r.expect_code(1);
    let r = r.json();
    let e = errors(&r);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0]["path"], "data[\"app.json\"].database");
    // Inside a one-line quoted value, columns are mapped too (the `"database"` key).
    assert_eq!(at(&e[0]), (6, 15));
    assert_eq!(e[0]["resource"]["name"], "mapped-one");
    // A missing schema file is a tool error naming it.
    s.write(
        "confgate.toml",
        "[[validate.schemas]]\nconfigmap = \"mapped-*\"\nschema = \"schemas/missing.json\"\n",
    );
    let r = s.run(&["validate", "--config-dir", "cfg"]);
    r.expect_code(2);
    assert!(r.stdout.contains("schemas/missing.json"), "{}", r.stdout);
    // One named by the ConfigMap's annotation is a problem of that ConfigMap.
    s.write("confgate.toml", "");
    s.write(
        "cfg/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    confgate.io/schema: nowhere.json\ndata:\n  a.json: '{}'\n",
    );
    let r = s.run(&["validate", "--config-dir", "cfg", "-f", "json"]);
    r.expect_code(1);
    let r = r.json();
    let p = one(
        errors(&r),
        "json-schema",
        "metadata.annotations[\"confgate.io/schema\"]",
    );
    assert_eq!(at(p), (6, 25));
    assert!(
        p["message"].as_str().unwrap().contains("nowhere.json"),
        "{p:#}"
    );
}

#[test]
fn business_rules_depend_on_the_environment() {
    let prod = json(&["--config-dir", "business", "--environment", "prod"], 1);
    let e = errors(&prod);
    let by_rule = |rule: &str| -> Vec<&Value> { e.iter().filter(|p| p["rule"] == rule).collect() };
    let replicas = by_rule("min-replicas");
    assert_eq!(replicas.len(), 1, "{e:#?}");
    assert_eq!(replicas[0]["path"], "spec.replicas");
    assert_eq!(at(replicas[0]), (7, 13));
    let latest = by_rule("latest-tag");
    assert_eq!(at(latest[0]), (18, 18));
    assert!(!by_rule("debug-enabled").is_empty(), "{e:#?}");
    assert!(!by_rule("limits-required").is_empty(), "{e:#?}");
    let mismatch = by_rule("environment-mismatch");
    assert_eq!(mismatch.len(), 1, "{e:#?}");
    assert_eq!(at(mismatch[0]), (33, 16));

    // dev has no replica, limit or tag requirements.
    let dev = json(&["--config-dir", "business", "--environment", "dev"], 0);
    assert!(errors(&dev).is_empty(), "{dev:#}");
    // Parameters from [validate.environments.qa] in confgate.toml.
    let qa = json(&["--config-dir", "business", "--environment", "qa"], 1);
    let e = errors(&qa);
    assert!(e.iter().any(|p| p["rule"] == "min-replicas"), "{e:#?}");
    assert!(e.iter().any(|p| p["rule"] == "required-labels"), "{e:#?}");
    assert!(!e.iter().any(|p| p["rule"] == "latest-tag"), "{e:#?}");
    // Built-in rules can be switched off.
    let off = json(
        &[
            "--config-dir",
            "business",
            "--environment",
            "prod",
            "--no-builtin-business-rules",
        ],
        0,
    );
    assert!(errors(&off).is_empty());
}

#[test]
fn user_business_rules_run_in_the_same_engine() {
    let s = Scratch::new();
    s.write(
        "rules/owner.rego",
        "package confgate.business\n\ndeny contains f if {\n\tinput.kind == \"Deployment\"\n\tnot input.metadata.annotations.owner\n\tf := {\"id\": \"owner-required\", \"msg\": sprintf(\"%s needs an owner in %s\", [input.metadata.name, data.settings.environment]), \"path\": [\"metadata\"]}\n}\n",
    );
    s.write(
        "cfg/d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n",
    );
    let r = s.run(&[
        "validate",
        "--config-dir",
        "cfg",
        "-e",
        "dev",
        "--business-policy",
        "rules",
        "-f",
        "json",
    ]);
    r.expect_code(1);
    let r = r.json();
    let p = one(errors(&r), "business", "metadata");
    assert_eq!(p["rule"], "owner-required");
    assert_eq!(p["message"], "web needs an owner in dev");
    assert_eq!(at(p), (3, 1));
    // A policy in another package is refused with exit 2.
    s.write(
        "bad/x.rego",
        "package other\n\ndeny contains 1 if { false }\n",
    );
    let r = s.run(&[
        "validate",
        "--config-dir",
        "cfg",
        "--business-policy",
        "bad",
    ]);
    r.expect_code(2);
    assert!(r.stderr.contains("bad/x.rego"), "{}", r.stderr);
    // Regression: a recursive function in a business rule aborted the process (stack
    // overflow); it is refused at load, naming the call that closes the cycle.
    s.write(
        "loop/x.rego",
        "package confgate.business\n\nf(x) := y if {\n\ty := f(x)\n}\n\ndeny contains r if {\n\tf(input.kind) == 1\n\tr := {\"id\": \"x\", \"msg\": \"x\"}\n}\n",
    );
    let r = s.run(&[
        "validate",
        "--config-dir",
        "cfg",
        "--business-policy",
        "loop",
    ]);
    r.expect_code(2);
    assert!(r.stderr.contains("loop/x.rego:4"), "{}", r.stderr);
    // Regression: a range too large to allocate aborted the process; it is an error of the
    // business rules on that document (exit 2), whatever --engine says.
    s.write(
        "huge/x.rego",
        "package confgate.business\n\ndeny contains r if {\n\tsome i in numbers.range(1, 300000000)\n\ti == -1\n\tr := {\"id\": \"x\", \"msg\": \"x\"}\n}\n",
    );
    for engine in ["rvm", "interpreter"] {
        let r = s.run(&[
            "validate",
            "--config-dir",
            "cfg",
            "--business-policy",
            "huge",
            "--engine",
            engine,
        ]);
        r.expect_code(2);
        assert!(r.stderr.contains("numbers.range"), "{engine}: {}", r.stderr);
    }
}

#[test]
fn security_compliance_adds_scan_findings_as_errors_above_the_gate() {
    let plain = json(&["--config-dir", "security"], 0);
    assert!(errors(&plain).is_empty());
    let r = json(&["--config-dir", "security", "--security-compliance"], 1);
    let e = errors(&r);
    let p = one(
        e,
        "security",
        "spec.containers[0].securityContext.privileged",
    );
    assert_eq!(p["rule"], "CG1001");
    assert_eq!(at(p), (11, 21));
    assert!(r["score"].as_u64().unwrap() < 100);
    // Below the gate they are warnings.
    let r = json(
        &[
            "--config-dir",
            "security",
            "--security-compliance",
            "--fail-on",
            "critical",
        ],
        1,
    );
    assert!(!warnings(&r).is_empty());
}

#[test]
fn text_yaml_and_detailed_reports() {
    let r = validate(&["--config-dir", "schema"]);
    r.expect_code(1);
    assert!(
        r.stdout.contains(
            "tests/fixtures/validate/schema/deployment.yaml:8:13: error[schema] spec.replicas:"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("INVALID"), "{}", r.stdout);
    assert!(!r.stdout.contains("Files:"));
    let d = validate(&["--config-dir", "schema", "--detailed-report"]);
    assert!(d.stdout.contains("Files:"), "{}", d.stdout);
    assert!(d.stdout.contains("Checks:"), "{}", d.stdout);
    let y = validate(&["--config-dir", "valid", "--output-format", "yaml"]);
    y.expect_code(0);
    let doc: Value = serde_yaml::from_str(&y.stdout).unwrap();
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["score"], 100);
}

#[test]
fn secret_values_never_appear_in_reports() {
    let s = Scratch::new();
    s.write(
        "cfg/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  password: not*base64*Hunter2-s3cr3t\n",
    );
    for format in ["text", "json", "yaml"] {
        let r = s.run(&["validate", "--config-dir", "cfg", "--strict", "-f", format]);
        r.expect_code(1);
        assert!(!r.stdout.contains("Hunter2"), "{}", r.stdout);
        assert!(!r.stderr.contains("Hunter2"), "{}", r.stderr);
    }
}

#[test]
fn tool_errors_exit_2() {
    let r = validate(&["--config-dir", "does-not-exist"]);
    r.expect_code(2);
    let s = Scratch::new();
    // A binary file cannot be validated: exit 2, the file scores 0, the others still count.
    s.write("cfg/blob.yaml", b"\x00\x01binary");
    s.write(
        "cfg/ok.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n",
    );
    let r = s.run(&["validate", "--config-dir", "cfg", "-f", "json"]);
    r.expect_code(2);
    let r = r.json();
    assert_eq!(r["valid"], false);
    assert_eq!(r["tool_errors"][0]["file"], "cfg/blob.yaml");
    let files = r["files"].as_array().unwrap();
    assert_eq!(files[0]["score"], 0, "{files:#?}");
    assert_eq!(files[1]["score"], 100, "{files:#?}");
    s.write("confgate.toml", "[validate]\nstrict = true\nbogus = 1\n");
    let r = s.run(&["validate"]);
    r.expect_code(2);
    assert!(r.stderr.contains("confgate.toml:3"), "{}", r.stderr);
}

#[test]
fn the_generated_example_validates_for_dev_and_prod() {
    for env in ["dev", "prod"] {
        let s = Scratch::new();
        let out = s.path().join("out");
        let example = repo_path("examples/spotify-ai-agent");
        let mut cmd = common::confgate(&example);
        cmd.args(["generate", "--environment", env, "--output-dir"])
            .arg(&out)
            .env(
                "SPOTIFY_AI_DATABASE_URL",
                "postgresql://api:x-example@postgres/db",
            )
            .env("SPOTIFY_AI_REDIS_PASSWORD", "redis-example-0f9e8d7c6b")
            .env("SPOTIFY_AI_CLIENT_SECRET", "client-example-5a4b3c2d1e0f");
        let g = common::run(&mut cmd);
        g.expect_code(0);
        let mut cmd = common::confgate(&example);
        cmd.args([
            "validate",
            "--environment",
            env,
            "--strict",
            "-f",
            "json",
            "--config-dir",
        ])
        .arg(&out);
        let v = common::run(&mut cmd);
        v.expect_code(0);
        let r = v.json();
        assert_eq!(r["valid"], true, "{r:#}");
        assert!(r["summary"]["documents"].as_u64().unwrap() >= 4, "{r:#}");
        assert_eq!(r["summary"]["checks"]["json_schema_keys"], 1, "{r:#}");
    }
}

#[test]
fn kustomize_patches_may_omit_required_fields() {
    let s = Scratch::new();
    s.write(
        "overlay/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base]\npatches:\n  - path: replicas.yaml\n",
    );
    // A strategic-merge patch: no selector or template, but what it says is still checked.
    s.write(
        "overlay/replicas.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: three\n",
    );
    s.write(
        "overlay/delete.yaml",
        "$patch: delete\napiVersion: v1\nkind: Service\nmetadata:\n  name: old\n",
    );
    let r = s.run(&[
        "validate",
        "--config-dir",
        "overlay",
        "--strict",
        "-f",
        "json",
    ]);
    r.expect_code(1);
    let r = r.json();
    let e = errors(&r);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0]["path"], "spec.replicas");
    assert_eq!(at(&e[0]), (6, 13));
    // The same file outside a kustomization is a full object: selector and template missing.
    s.write(
        "plain/replicas.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n",
    );
    let r = s.run(&["validate", "--config-dir", "plain", "-f", "json"]);
    r.expect_code(1);
    let r = r.json();
    one(errors(&r), "schema", "spec.selector");
    one(errors(&r), "schema", "spec.template");
}

#[test]
fn business_rules_agree_on_both_engines() {
    for dir in ["valid", "business", "security", "schema", "jsonschema"] {
        for env in ["prod", "staging", "dev", "qa"] {
            let run = |engine: &str| {
                let r = validate(&[
                    "--config-dir",
                    dir,
                    "-e",
                    env,
                    "--engine",
                    engine,
                    "-f",
                    "json",
                ]);
                assert_ne!(r.code, 2, "{dir} {env} {engine}: {}", r.stderr);
                r.json()
            };
            let rvm = run("rvm");
            let interpreter = run("interpreter");
            assert_eq!(
                rvm["errors"], interpreter["errors"],
                "{dir} with --environment {env}: the engines disagree"
            );
        }
    }
}

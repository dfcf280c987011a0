//! `confgate backup` against the test API server and real object-storage servers (moto's
//! S3, Azurite, fake-gcs-server, installed by `.ci/install-object-stores`): full and
//! incremental backups, verification, gated restores with namespace mapping, restore
//! drills, retention, key rotation, and the faults (wrong key, truncated and flipped
//! data, missing parent, interrupted backup, store down or slow, a full disk).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use confgate_testcluster::{Options, TestCluster};
use serde_json::Value;

use common::objstore::{AzuriteServer, FaultyHttp, GcsServer, S3Server, free_port};
use common::*;

const SECRET_VALUE: &str = "hunter2-very-secret";

fn cluster() -> TestCluster {
    let tc = TestCluster::start(Options::default()).expect("start the test API server");
    tc.load_yaml(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n\
apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\ndata: {mode: fast, level: '3'}\n---\n\
apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\ntype: Opaque\ndata: {password: aHVudGVyMi12ZXJ5LXNlY3JldA==}\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      automountServiceAccountToken: false\n      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n      containers:\n      - name: web\n        image: registry.example.com/web:1.0\n        resources: {limits: {cpu: 500m, memory: 256Mi}, requests: {cpu: 100m, memory: 128Mi}}\n        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsUser: 10001, capabilities: {drop: [ALL]}}\n"
    )
    .unwrap();
    tc
}

/// A scratch directory with a master key and the state inside it.
struct Env {
    s: Scratch,
    key: PathBuf,
    extra: Vec<(String, String)>,
}

impl Env {
    fn new() -> Env {
        let s = Scratch::new();
        let key = s.path().join("master.key");
        let e = Env {
            s,
            key,
            extra: Vec::new(),
        };
        e.run_plain(&["backup", "keygen", "--key-output", e.key.to_str().unwrap()])
            .expect_code(0);
        e
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = confgate(self.s.path());
        c.args(args)
            .env("CONFGATE_BACKUP_KEY_FILE", &self.key)
            .env("CONFGATE_STATE_DIR", self.s.path().join("state"))
            .env_remove("CONFGATE_BACKUP_KEY")
            .env("AWS_METADATA_ENDPOINT", "http://127.0.0.1:9")
            .env("AZURE_MSI_ENDPOINT", "http://127.0.0.1:9")
            .env("GCE_METADATA_HOST", "127.0.0.1:9");
        for (k, v) in &self.extra {
            c.env(k, v);
        }
        c
    }

    fn run_plain(&self, args: &[&str]) -> Run {
        run(&mut self.cmd(args))
    }

    fn run(&self, tc: &TestCluster, args: &[&str]) -> Run {
        let k = tc.kubeconfig_path().display().to_string();
        let mut all = args.to_vec();
        all.extend_from_slice(&["--kubeconfig", &k]);
        self.run_plain(&all)
    }

    fn store(&self) -> PathBuf {
        self.s.path().join("state/backups")
    }
}

fn no_secret(r: &Run) {
    assert!(
        !r.stdout.contains(SECRET_VALUE) && !r.stderr.contains(SECRET_VALUE),
        "a Secret value was printed:\n{}\n{}",
        r.stdout,
        r.stderr
    );
}

fn id_of(r: &Run) -> String {
    r.json()["id"].as_str().unwrap().to_string()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if e.file_type().is_file() {
            out.push(e.path().to_path_buf());
        }
    }
    out
}

#[test]
fn full_incremental_verify_restore_and_drill_round_trip() {
    let tc = cluster();
    let e = Env::new();
    let full = e.run(
        &tc,
        &[
            "backup",
            "create",
            "-n",
            "shop",
            "--description",
            "before upgrade",
            "-f",
            "json",
        ],
    );
    full.expect_code(0);
    no_secret(&full);
    let full_id = id_of(&full);
    assert!(full_id.starts_with("backup-"), "{full_id}");
    assert_eq!(full.json()["kind"], "full");
    let objects = full.json()["objects"].as_u64().unwrap();
    assert!(
        objects >= 5,
        "Namespace, ConfigMap, Secret, Service, Deployment: {objects}"
    );
    // Nothing in the store holds the Secret's value in clear (nor its base64).
    for f in files_under(&e.store()) {
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(SECRET_VALUE),
            "{} holds the secret",
            f.display()
        );
        assert!(
            !text.contains("aHVudGVyMi"),
            "{} holds the secret's base64",
            f.display()
        );
    }

    // An incremental after one change stores only that object.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut cm = tc.get("v1", "ConfigMap", Some("shop"), "settings").unwrap();
    cm["data"]["mode"] = Value::String("safe".into());
    tc.load_yaml(&serde_yaml::to_string(&cm).unwrap()).unwrap();
    let inc = e.run(
        &tc,
        &[
            "backup",
            "incremental",
            &full_id,
            "-n",
            "shop",
            "-f",
            "json",
        ],
    );
    inc.expect_code(0);
    let inc_json = inc.json();
    let inc_id = id_of(&inc);
    assert_eq!(inc_json["kind"], "incremental");
    assert_eq!(inc_json["parent"], full_id.as_str());
    assert_eq!(inc_json["changed"], 1, "{inc_json}");
    assert_eq!(inc_json["unchanged"].as_u64().unwrap(), objects - 1);

    let list = e.run_plain(&["backup", "list", "-f", "json"]);
    list.expect_code(0);
    let ids: Vec<&str> = list.json()["backups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["id"].as_str())
        .map(|s| Box::leak(s.to_string().into_boxed_str()) as &str)
        .collect();
    assert_eq!(ids, [full_id.as_str(), inc_id.as_str()]);
    e.run_plain(&["backup", "verify", &inc_id]).expect_code(0);
    // The suite's form: --verify over every backup.
    e.run_plain(&["backup", "--verify"]).expect_code(0);

    // Objects lost in the cluster come back from the incremental (through its parent).
    tc.delete("v1", "Secret", Some("shop"), "db").unwrap();
    tc.delete("v1", "ConfigMap", Some("shop"), "settings")
        .unwrap();
    let dry = e.run(&tc, &["backup", "restore", &inc_id]);
    dry.expect_code(0);
    no_secret(&dry);
    assert!(dry.stdout.contains("dry run"), "{}", dry.stdout);
    assert!(
        tc.get("v1", "Secret", Some("shop"), "db").is_none(),
        "dry run changed nothing"
    );
    let done = e.run(
        &tc,
        &[
            "backup",
            "--restore",
            "--backup-id",
            &inc_id,
            "--confirm",
            "-f",
            "json",
        ],
    );
    done.expect_code(0);
    no_secret(&done);
    let secret = tc
        .get("v1", "Secret", Some("shop"), "db")
        .expect("secret restored");
    assert_eq!(secret["data"]["password"], "aHVudGVyMi12ZXJ5LXNlY3JldA==");
    let cm = tc.get("v1", "ConfigMap", Some("shop"), "settings").unwrap();
    assert_eq!(cm["data"]["mode"], "safe", "the incremental's version");

    // Into another namespace.
    e.run(
        &tc,
        &[
            "backup",
            "restore",
            &full_id,
            "--namespace-map",
            "shop=shop-copy",
            "--confirm",
        ],
    )
    .expect_code(0);
    let copy = tc
        .get("v1", "ConfigMap", Some("shop-copy"), "settings")
        .unwrap();
    assert_eq!(copy["data"]["mode"], "fast", "the full backup's version");
    assert!(tc.get("v1", "Namespace", None, "shop-copy").is_some());

    // A drill without --confirm changes nothing; with it, passes and cleans up.
    let plan = e.run(&tc, &["backup", "test-restore", &full_id]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("pass --confirm"), "{}", plan.stdout);
    let drill = e.run(
        &tc,
        &[
            "backup",
            "--test-restore",
            &inc_id,
            "--confirm",
            "-f",
            "json",
        ],
    );
    drill.expect_code(0);
    no_secret(&drill);
    let d = drill.json();
    assert_eq!(d["passed"], true, "{d}");
    assert!(d["compared"].as_u64().unwrap() >= 4);
    assert_eq!(d["cleaned_up"], true);
    let ns = d["namespace"].as_str().unwrap();
    assert!(
        tc.get("v1", "Namespace", None, ns).is_none()
            || tc.get("v1", "Namespace", None, ns).unwrap()["metadata"]["deletionTimestamp"]
                .is_string()
    );
    // Recorded next to the backup and in the state the metrics read.
    assert!(
        files_under(&e.store().join(&inc_id))
            .iter()
            .any(|f| f.to_string_lossy().contains("/drills/"))
    );
    let metrics = e.run_plain(&["backup", "metrics"]);
    metrics.expect_code(0);
    assert!(
        metrics
            .stdout
            .contains("confgate_restore_last_verified_timestamp_seconds ")
    );
    assert!(
        metrics
            .stdout
            .contains("confgate_backup_last_size_bytes{stage=\"compressed\"}")
    );
    assert!(metrics.stdout.contains("confgate_backups_total 2\n"));
    // The monitor exposes the same series next to the health of the namespace.
    let mon = e.run(
        &tc,
        &[
            "monitor",
            "-n",
            "shop",
            "--export-metrics",
            "--format",
            "prometheus",
        ],
    );
    assert!(
        mon.stdout
            .contains("confgate_restore_last_verified_timestamp_seconds ")
            && mon.stdout.contains("confgate_health_score{"),
        "{}",
        mon.stdout
    );
    if let Some(promtool) = which("promtool") {
        let f = e.s.write("metrics.prom", &metrics.stdout);
        let mf = e.s.write("monitor.prom", &mon.stdout);
        let out = Command::new(&promtool)
            .args(["check", "metrics"])
            .stdin(std::fs::File::open(mf).unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool on the monitor's exposition: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(std::fs::File::open(f).unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        eprintln!("promtool not installed: metrics lint skipped");
    }
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.is_file())
}

#[test]
fn wrong_keys_corruption_and_missing_parents_are_clear_errors_and_restore_nothing() {
    let tc = cluster();
    let e = Env::new();
    let full = e.run(&tc, &["backup", "create", "-n", "shop", "-f", "json"]);
    full.expect_code(0);
    let full_id = id_of(&full);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let inc = e.run(
        &tc,
        &[
            "backup",
            "incremental",
            &full_id,
            "-n",
            "shop",
            "-f",
            "json",
        ],
    );
    inc.expect_code(0);
    let inc_id = id_of(&inc);

    // Another master key: named by fingerprint, exit 2.
    let other = e.s.path().join("other.key");
    e.run_plain(&["backup", "keygen", "--key-output", other.to_str().unwrap()])
        .expect_code(0);
    let r = run(e
        .cmd(&["backup", "verify", &full_id])
        .env("CONFGATE_BACKUP_KEY_FILE", &other));
    r.expect_code(2);
    assert!(
        r.stderr.contains("was encrypted with master key"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);

    // Rotating the master key: the old one no longer opens, the new one does; the
    // packs are not rewritten.
    let pack = e.store().join(&full_id).join("pack-0000.bin");
    let before = std::fs::read(&pack).unwrap();
    e.run_plain(&["backup", "rekey", "--new-key-file", other.to_str().unwrap()])
        .expect_code(0);
    e.run_plain(&["backup", "verify", &full_id]).expect_code(0);
    e.run_plain(&[
        "backup",
        "rekey",
        "--new-key-file",
        other.to_str().unwrap(),
        "--confirm",
    ])
    .expect_code(0);
    assert_eq!(
        std::fs::read(&pack).unwrap(),
        before,
        "data not re-encrypted"
    );
    e.run_plain(&["backup", "verify", &full_id]).expect_code(2);
    let r = run(e
        .cmd(&["backup", "verify"])
        .env("CONFGATE_BACKUP_KEY_FILE", &other));
    r.expect_code(0);
    let e = Env { key: other, ..e };

    // A flipped byte in a pack.
    let mut bytes = before.clone();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&pack, &bytes).unwrap();
    let r = e.run_plain(&["backup", "verify", &full_id]);
    r.expect_code(2);
    assert!(r.stderr.contains("corrupted or truncated"), "{}", r.stderr);
    // A restore of it applies nothing.
    tc.delete("v1", "ConfigMap", Some("shop"), "settings")
        .unwrap();
    let r = e.run(&tc, &["backup", "restore", &full_id, "--confirm"]);
    r.expect_code(2);
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "settings")
            .is_none()
    );
    // Truncated.
    std::fs::write(&pack, &before[..before.len() - 10]).unwrap();
    let r = e.run_plain(&["backup", "verify", &full_id]);
    r.expect_code(2);
    assert!(r.stderr.contains("truncated"), "{}", r.stderr);
    std::fs::write(&pack, &before).unwrap();
    e.run_plain(&["backup", "verify", &full_id]).expect_code(0);

    // A flipped byte in the manifest: the MAC (or the parser) refuses it.
    let manifest = e.store().join(&inc_id).join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let changed = text
        .replacen("\"objects\": ", "\"objects\":  ", 1)
        .replacen("\"shop\"", "\"shoq\"", 1);
    assert_ne!(changed, text);
    std::fs::write(&manifest, &changed).unwrap();
    let r = e.run_plain(&["backup", "verify", &inc_id]);
    r.expect_code(2);
    assert!(
        r.stderr.contains("changed after it was written"),
        "{}",
        r.stderr
    );
    std::fs::write(&manifest, &text).unwrap();
    e.run_plain(&["backup", "verify", &inc_id]).expect_code(0);

    // The incremental's parent gone.
    std::fs::remove_dir_all(e.store().join(&full_id)).unwrap();
    let r = e.run_plain(&["backup", "verify", &inc_id]);
    r.expect_code(2);
    assert!(
        r.stderr
            .contains(&format!("is an incremental that needs {full_id}")),
        "{}",
        r.stderr
    );
    let r = e.run(&tc, &["backup", "restore", &inc_id, "--confirm"]);
    r.expect_code(2);
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "settings")
            .is_none()
    );

    // No key at all.
    let r = run(e
        .cmd(&["backup", "verify", &inc_id])
        .env_remove("CONFGATE_BACKUP_KEY_FILE"));
    r.expect_code(2);
    assert!(r.stderr.contains("CONFGATE_BACKUP_KEY"), "{}", r.stderr);
}

#[test]
fn a_restore_is_gated_by_the_scan() {
    let tc = cluster();
    tc.load_yaml(&privileged_pod("root-shell")).unwrap();
    let e = Env::new();
    let b = e.run(&tc, &["backup", "create", "-n", "shop", "-f", "json"]);
    b.expect_code(0);
    assert!(b.json()["scan"]["blocking"].as_u64().unwrap() >= 1);
    let id = id_of(&b);
    tc.delete("v1", "Pod", Some("shop"), "root-shell").unwrap();
    tc.delete("v1", "ConfigMap", Some("shop"), "settings")
        .unwrap();
    let r = e.run(&tc, &["backup", "restore", &id, "--confirm"]);
    r.expect_code(1);
    assert!(r.stdout.contains("CG1001"), "{}", r.stdout);
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "settings")
            .is_none(),
        "nothing applied"
    );
    // Only the ConfigMap passes the gate.
    e.run(
        &tc,
        &[
            "backup",
            "restore",
            &id,
            "--kinds",
            "ConfigMap",
            "--confirm",
        ],
    )
    .expect_code(0);
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "settings")
            .is_some()
    );
    assert!(tc.get("v1", "Pod", Some("shop"), "root-shell").is_none());
    e.run(
        &tc,
        &["backup", "restore", &id, "--allow-findings", "--confirm"],
    )
    .expect_code(0);
    assert!(tc.get("v1", "Pod", Some("shop"), "root-shell").is_some());
}

#[test]
fn an_interrupted_backup_never_looks_complete_and_prune_removes_it() {
    let tc = cluster();
    let mut yaml = String::new();
    for i in 0..120 {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: bulk-{i}, namespace: shop}}\ndata: {{blob: '{}'}}\n",
            "x".repeat(2000 + i)
        ));
    }
    tc.load_yaml(&yaml).unwrap();
    let e = Env::new();
    e.s.write(
        "confgate.toml",
        "[backup]\npack-size = \"64KiB\"\n[backup.retention]\nkeep-last = 5\nincomplete-after = \"0s\"\n",
    );
    // Listing Secrets fails every time: ConfigMap packs are written, the manifest is not.
    tc.faults()
        .fail(Some("GET"), "/api/v1/namespaces/shop/secrets", 500, 1000);
    let r = e.run(
        &tc,
        &["backup", "create", "-n", "shop", "--request-timeout", "2"],
    );
    r.expect_code(2);
    assert!(
        r.stderr.contains("incomplete and was not finished"),
        "{}",
        r.stderr
    );
    let list = e.run_plain(&["backup", "list", "-f", "json"]);
    let backups = list.json()["backups"].as_array().unwrap().clone();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(backups[0]["complete"], false);
    let id = backups[0]["id"].as_str().unwrap().to_string();
    assert!(
        files_under(&e.store().join(&id))
            .iter()
            .any(|f| f.to_string_lossy().contains("pack-")),
        "packs were written before the failure"
    );
    let r = e.run_plain(&["backup", "verify", &id]);
    r.expect_code(2);
    assert!(r.stderr.contains("is incomplete"), "{}", r.stderr);
    let r = e.run(&tc, &["backup", "restore", &id]);
    r.expect_code(2);
    // State records the failure for the metrics.
    let m = e.run_plain(&["backup", "metrics"]);
    assert!(
        m.stdout.contains("confgate_backup_failures_total 1\n"),
        "{}",
        m.stdout
    );
    // prune: dry run first, then removal.
    let p = e.run_plain(&["backup", "prune"]);
    p.expect_code(0);
    assert!(p.stdout.contains("incomplete"), "{}", p.stdout);
    assert!(e.store().join(&id).exists());
    e.run_plain(&["backup", "prune", "--confirm"])
        .expect_code(0);
    assert!(!e.store().join(&id).exists());
}

#[test]
fn retention_keeps_what_a_kept_incremental_needs() {
    let tc = cluster();
    let e = Env::new();
    let mut ids: Vec<String> = Vec::new();
    for step in ["full", "incremental", "full"] {
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let r = if step == "full" {
            e.run(&tc, &["backup", "create", "-n", "shop", "-f", "json"])
        } else {
            e.run(
                &tc,
                &["backup", "incremental", &ids[0], "-n", "shop", "-f", "json"],
            )
        };
        r.expect_code(0);
        ids.push(id_of(&r));
    }
    e.s.write("confgate.toml", "[backup.retention]\nkeep-last = 2\n");
    let dry = e.run_plain(&["backup", "prune", "-f", "json"]);
    dry.expect_code(0);
    let d = dry.json();
    assert_eq!(d["dry_run"], true);
    let keep: Vec<&str> = d["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["keep"] == true)
        .filter_map(|x| x["id"].as_str())
        .collect();
    assert_eq!(
        keep,
        [ids[0].as_str(), ids[1].as_str(), ids[2].as_str()],
        "{d}"
    );
    e.s.write("confgate.toml", "[backup.retention]\nkeep-last = 1\n");
    e.run_plain(&["backup", "prune", "--confirm"])
        .expect_code(0);
    let list = e.run_plain(&["backup", "list", "-f", "json"]);
    let left: Vec<String> = list.json()["backups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(left, [ids[2].clone()]);
    // A bad retention setting names itself.
    e.s.write(
        "confgate.toml",
        "[backup.retention]\nmax-age = \"ten days\"\n",
    );
    let r = e.run_plain(&["backup", "prune"]);
    r.expect_code(2);
    assert!(r.stderr.contains("max-age"), "{}", r.stderr);
}

#[test]
fn s3_and_azure_stores_hold_backups_that_verify_and_restore() {
    let s3 = S3Server::start();
    let az = AzuriteServer::start();
    if s3.is_none() && az.is_none() {
        eprintln!(
            "skipped: neither moto_server nor azurite is installed (.ci/install-object-stores)"
        );
        return;
    }
    let tc = cluster();
    let mut stores: Vec<(String, Vec<(String, String)>)> = Vec::new();
    if let Some(s3) = &s3 {
        stores.push((s3.url("prod/backups"), s3.env()));
    }
    if let Some(az) = &az {
        stores.push((az.url("prod"), az.env()));
    }
    for (url, env) in &stores {
        let mut e = Env::new();
        e.extra = env.clone();
        e.extra.push(("CONFGATE_BACKUP_STORE".into(), url.clone()));
        let b = e.run(&tc, &["backup", "create", "-n", "shop", "-f", "json"]);
        b.expect_code(0);
        no_secret(&b);
        let id = id_of(&b);
        let list = e.run_plain(&["backup", "list", "-f", "json"]);
        list.expect_code(0);
        assert_eq!(list.json()["backups"][0]["id"], id.as_str(), "{url}");
        e.run_plain(&["backup", "verify", &id]).expect_code(0);
        tc.delete("v1", "ConfigMap", Some("shop"), "settings")
            .unwrap();
        e.run(&tc, &["backup", "restore", "latest", "--confirm"])
            .expect_code(0);
        assert!(
            tc.get("v1", "ConfigMap", Some("shop"), "settings")
                .is_some(),
            "{url}"
        );
    }
    // sync: a local store copied to the cloud provider [backup.providers] names.
    if let Some(s3) = &s3 {
        let mut e = Env::new();
        e.extra = s3.env();
        e.s.write(
            "confgate.toml",
            format!("[backup.providers]\naws = \"{}\"\n", s3.url("synced")),
        );
        let b = e.run(&tc, &["backup", "create", "-n", "shop", "-f", "json"]);
        b.expect_code(0);
        let id = id_of(&b);
        let dry = e.run_plain(&["backup", "sync", "--provider", "aws"]);
        dry.expect_code(0);
        assert!(dry.stdout.contains("would copy"), "{}", dry.stdout);
        e.run_plain(&["backup", "--sync-to-cloud", "aws", "--confirm"])
            .expect_code(0);
        let mut remote = Env {
            s: Scratch::new(),
            key: e.key.clone(),
            extra: s3.env(),
        };
        remote
            .extra
            .push(("CONFGATE_BACKUP_STORE".into(), s3.url("synced")));
        remote.run_plain(&["backup", "verify", &id]).expect_code(0);
        let again = e.run_plain(&["backup", "sync", "--provider", "aws", "--confirm"]);
        assert!(again.stdout.contains("up to date"), "{}", again.stdout);
    }
}

#[test]
fn a_gcs_store_is_read_through_object_store() {
    // fake-gcs-server implements the reads of GCS's XML API, which object_store uses, but
    // not its uploads: the backup is made locally and its files seeded through the JSON
    // API, then listed, verified and restored from gs://.
    let Some(gcs) = GcsServer::start() else {
        eprintln!("skipped: fake-gcs-server is not installed (.ci/install-object-stores)");
        return;
    };
    let tc = cluster();
    let e = Env::new();
    let b = e.run(&tc, &["backup", "create", "-n", "shop", "-f", "json"]);
    b.expect_code(0);
    let id = id_of(&b);
    let root = e.store();
    for f in files_under(&root) {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        gcs.seed(&format!("team/{rel}"), &std::fs::read(&f).unwrap());
    }
    let mut g = Env {
        s: Scratch::new(),
        key: e.key.clone(),
        extra: gcs.env(),
    };
    g.extra
        .push(("CONFGATE_BACKUP_STORE".into(), gcs.url("team")));
    g.extra
        .push(("CONFGATE_BACKUP_ALLOW_HTTP".into(), "true".into()));
    let list = g.run_plain(&["backup", "list", "-f", "json"]);
    list.expect_code(0);
    assert_eq!(list.json()["backups"][0]["id"], id.as_str());
    g.run_plain(&["backup", "verify", &id]).expect_code(0);
    tc.delete("v1", "ConfigMap", Some("shop"), "settings")
        .unwrap();
    g.run(&tc, &["backup", "restore", &id, "--confirm"])
        .expect_code(0);
    assert!(
        tc.get("v1", "ConfigMap", Some("shop"), "settings")
            .is_some()
    );
}

#[test]
fn a_store_that_fails_or_hangs_is_one_clear_error_in_bounded_time() {
    let e = Env::new();
    e.s.write("confgate.toml", "[backup]\ntimeout = 1\nretries = 1\n");
    for server in [
        FaultyHttp::failing(500),
        FaultyHttp::slow(std::time::Duration::from_secs(20)),
    ] {
        let mut run_env = e.cmd(&["backup", "list"]);
        for (k, v) in server.s3_env() {
            run_env.env(k, v);
        }
        run_env.env("CONFGATE_BACKUP_STORE", "s3://confgate-backups/x");
        let started = std::time::Instant::now();
        let r = run(&mut run_env);
        r.expect_code(2);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "bounded"
        );
        assert!(
            r.stderr.contains("backup store s3://confgate-backups/x"),
            "{}",
            r.stderr
        );
        assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
        assert!(server.requests() >= 1);
        assert!(
            !r.stderr.contains("testing"),
            "no credential in the message"
        );
    }
    // Nothing listens at all.
    let mut c = e.cmd(&["backup", "list"]);
    c.env("CONFGATE_BACKUP_STORE", "s3://b/x")
        .env("AWS_ACCESS_KEY_ID", "k")
        .env("AWS_SECRET_ACCESS_KEY", "s")
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", free_port()),
        );
    let r = run(&mut c);
    r.expect_code(2);
}

#[test]
fn a_full_disk_fails_the_backup_without_a_complete_looking_one() {
    // The file-size limit stands in for a full disk: every write past it fails with an
    // I/O error (SIGXFSZ ignored, as a daemon would), as ENOSPC would.
    let tc = cluster();
    let mut yaml = String::new();
    for i in 0..60 {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big-{i}, namespace: shop}}\ndata: {{blob: '{}'}}\n",
            (0..3000).map(|j| char::from(b'a' + ((i * 7 + j * 13) % 26) as u8)).collect::<String>()
        ));
    }
    tc.load_yaml(&yaml).unwrap();
    let e = Env::new();
    let k = tc.kubeconfig_path().display().to_string();
    let bin = env!("CARGO_BIN_EXE_confgate");
    let mut c = e.cmd(&[]);
    c.args([
        "-c",
        &format!("trap '' XFSZ; ulimit -f 16; exec {bin} backup create -n shop --kubeconfig {k}"),
    ]);
    let mut sh = Command::new("sh");
    sh.current_dir(e.s.path());
    for (key, v) in c.get_envs() {
        match v {
            Some(v) => {
                sh.env(key, v);
            }
            None => {
                sh.env_remove(key);
            }
        }
    }
    sh.args(c.get_args());
    let r = run(&mut sh);
    r.expect_code(2);
    assert!(r.stderr.contains("cannot write"), "{}", r.stderr);
    let list = e.run_plain(&["backup", "list", "-f", "json"]);
    for b in list.json()["backups"].as_array().unwrap() {
        assert_eq!(b["complete"], false, "{b}");
    }
}

#[test]
fn a_restore_that_fails_mid_way_says_what_was_and_was_not_applied() {
    let tc = cluster();
    let e = Env::new();
    let b = e.run(&tc, &["backup", "create", "-n", "shop", "-f", "json"]);
    b.expect_code(0);
    let id = id_of(&b);
    // Into a namespace the restore creates: its objects are checked when applied, and the
    // server rejects the Service then.
    tc.faults().fail(
        Some("PATCH"),
        "/api/v1/namespaces/shop-new/services/web",
        500,
        20,
    );
    let r = e.run(
        &tc,
        &[
            "backup",
            "restore",
            &id,
            "--namespace-map",
            "shop=shop-new",
            "--confirm",
            "--request-timeout",
            "2",
        ],
    );
    r.expect_code(2);
    no_secret(&r);
    assert!(r.stdout.contains("not applied: "), "{}", r.stdout);
    let not_applied = r
        .stdout
        .lines()
        .find(|l| l.starts_with("not applied: "))
        .unwrap();
    assert!(
        not_applied.contains("Service/shop-new/web"),
        "{not_applied}"
    );
    assert!(
        not_applied.contains("Deployment/shop-new/web"),
        "{not_applied}"
    );
    let applied = r
        .stdout
        .lines()
        .find(|l| l.starts_with("applied: "))
        .unwrap();
    assert!(applied.contains("ConfigMap/shop-new/settings"), "{applied}");
    assert!(
        tc.get("v1", "ConfigMap", Some("shop-new"), "settings")
            .is_some()
    );
    assert!(
        tc.get("apps/v1", "Deployment", Some("shop-new"), "web")
            .is_none()
    );
    let m = e.run_plain(&["backup", "metrics"]);
    assert!(
        m.stdout.contains("confgate_restores_total 0\n"),
        "{}",
        m.stdout
    );
}

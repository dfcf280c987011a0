//! `confgate rollback` strategies, restore points, the set lock, health-driven automatic
//! rollback and the faults of the rollback issue, against the test API server (whose
//! controller makes pods ready, never ready (`never-ready` images) or crash-loop
//! (`crashloop` images) on purpose).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use confgate_testcluster::{Options, TestCluster};
use serde_json::{Value, json};

use common::*;

fn cluster() -> TestCluster {
    let tc = TestCluster::start(Options::default()).expect("start the test API server");
    tc.load_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
        .unwrap();
    tc
}

fn workload(name: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels: {{app: {name}}}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: {name}\n        image: {image}\n        securityContext: {{allowPrivilegeEscalation: false, runAsNonRoot: true}}\n"
    )
}

fn config(value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings}}\ndata: {{mode: {value}}}\n"
    )
}

fn run_cg(s: &Scratch, tc: &TestCluster, args: &[&str]) -> Run {
    let k = tc.kubeconfig_path().display().to_string();
    let mut all = args.to_vec();
    all.extend_from_slice(&["--kubeconfig", &k]);
    s.run(&all)
}

/// Deploys `text` as set `web` and waits (at most `timeout` s); returns the run.
fn deploy(s: &Scratch, tc: &TestCluster, text: &str, timeout: &str) -> Run {
    s.write("app/app.yaml", text);
    run_cg(
        s,
        tc,
        &[
            "deploy",
            "app",
            "--set",
            "web",
            "-n",
            "shop",
            "--apply",
            "--wait-for-rollout",
            "--timeout",
            timeout,
            "--fail-on",
            "critical",
        ],
    )
}

fn image(tc: &TestCluster, name: &str) -> String {
    tc.get("apps/v1", "Deployment", Some("shop"), name)
        .map(|d| {
            d["spec"]["template"]["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default()
}

fn history(s: &Scratch, tc: &TestCluster) -> Vec<Value> {
    run_cg(
        s,
        tc,
        &[
            "rollback", "--set", "web", "-n", "shop", "--list", "--format", "json",
        ],
    )
    .json()
    .as_array()
    .cloned()
    .unwrap()
}

fn rollback(s: &Scratch, tc: &TestCluster, extra: &[&str]) -> Run {
    let mut args = vec!["rollback", "--set", "web", "-n", "shop", "--interval", "1"];
    args.extend_from_slice(extra);
    run_cg(s, tc, &args)
}

#[test]
fn atomic_puts_back_the_state_from_before_when_the_health_stays_low() {
    let tc = cluster();
    let s = Scratch::new();
    // Revision 1 never becomes ready (its rollout fails); revision 2 is healthy.
    deploy(
        &s,
        &tc,
        &workload("web", "registry.example.com/web:never-ready"),
        "3",
    )
    .expect_code(1);
    deploy(
        &s,
        &tc,
        &workload("web", "registry.example.com/web:2.0"),
        "60",
    )
    .expect_code(0);
    let revs = history(&s, &tc);
    assert_eq!(revs[1]["rollout"]["state"], "succeeded", "{revs:?}");
    assert!(revs[1]["health"].as_u64().unwrap() >= 90, "{revs:?}");
    let r = rollback(
        &s,
        &tc,
        &[
            "--target-revision",
            "1",
            "--strategy",
            "atomic",
            "--timeout",
            "4",
            "--confirm",
        ],
    );
    r.expect_code(1);
    assert!(r.stdout.contains("strategy atomic"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("restore the state from before the rollback: restored"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("health before: "), "{}", r.stdout);
    assert_eq!(image(&tc, "web"), "registry.example.com/web:2.0");
    let revs = history(&s, &tc);
    assert_eq!(revs.len(), 4, "{revs:?}");
    assert_eq!(revs[2]["rollout"]["state"], "failed", "{revs:?}");
    assert!(
        revs[3]["description"]
            .as_str()
            .unwrap()
            .contains("the state from before it, put back"),
        "{revs:?}"
    );
    // No lock is left behind.
    assert!(
        tc.get("v1", "Secret", Some("shop"), "confgate-lock.web")
            .is_none()
    );
}

#[test]
fn incremental_goes_config_first_then_one_workload_at_a_time_and_stops_at_a_failure() {
    let tc = cluster();
    let s = Scratch::new();
    let v1 = format!(
        "{}---\n{}---\n{}",
        config("one"),
        workload("web", "registry.example.com/web:1.0"),
        workload("api", "registry.example.com/api:1.0")
    );
    deploy(&s, &tc, &v1, "60").expect_code(0);
    let v2 = format!(
        "{}---\n{}---\n{}",
        config("two"),
        workload("web", "registry.example.com/web:2.0"),
        workload("api", "registry.example.com/api:2.0")
    );
    deploy(&s, &tc, &v2, "60").expect_code(0);
    let r = rollback(
        &s,
        &tc,
        &[
            "--to-previous",
            "--strategy",
            "incremental",
            "--confirm",
            "--format",
            "json",
        ],
    );
    r.expect_code(0);
    let v = r.json();
    let steps: Vec<String> = v["result"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["what"].as_str().unwrap(),
                s["state"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            "step 1/3: ConfigMap/settings healthy",
            "step 2/3: Deployment/web healthy",
            "step 3/3: Deployment/api healthy",
            "prune and record applied",
            "health healthy",
        ],
        "{v}"
    );
    assert_eq!(v["result"]["ended"], "healthy");
    assert_eq!(image(&tc, "api"), "registry.example.com/api:1.0");
    assert_eq!(
        tc.get("v1", "ConfigMap", Some("shop"), "settings").unwrap()["data"]["mode"],
        "one"
    );
    // A target whose second workload never becomes ready: the first is rolled back, the
    // rollback stops there, and the mixed live state is recorded as a failed revision.
    let v4 = format!(
        "{}---\n{}---\n{}",
        config("three"),
        workload("api", "registry.example.com/api:3.0"),
        workload("web", "registry.example.com/web:never-ready")
    );
    deploy(&s, &tc, &v4, "3").expect_code(1);
    deploy(&s, &tc, &v2, "60").expect_code(0);
    let n = history(&s, &tc).len();
    let target = (n - 1).to_string();
    let r = rollback(
        &s,
        &tc,
        &[
            "--target-revision",
            &target,
            "--strategy",
            "incremental",
            "--timeout",
            "3",
            "--confirm",
            "--allow-findings",
        ],
    );
    r.expect_code(1);
    assert!(
        r.stdout.contains("step 3/3: Deployment/web: failed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("stopped at a failed step"),
        "{}",
        r.stdout
    );
    assert_eq!(image(&tc, "api"), "registry.example.com/api:3.0");
    let revs = history(&s, &tc);
    let last = revs.last().unwrap();
    assert_eq!(last["rollout"]["state"], "failed", "{last}");
    assert!(
        last["description"]
            .as_str()
            .unwrap()
            .contains("stopped at step 3/3"),
        "{last}"
    );
}

#[test]
fn a_restore_point_records_the_live_state_and_can_be_returned_to() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(
        &s,
        &tc,
        &format!(
            "{}---\n{}",
            config("one"),
            workload("web", "registry.example.com/web:1.0")
        ),
        "60",
    )
    .expect_code(0);
    // Someone edits the live ConfigMap by hand; the restore point keeps that.
    let mut cm = tc.get("v1", "ConfigMap", Some("shop"), "settings").unwrap();
    cm["data"]["mode"] = json!("hand-edited");
    cm["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    tc.load_yaml(&cm.to_string()).unwrap();
    // The original suite's form: --create-backup --description TEXT.
    let r = rollback(
        &s,
        &tc,
        &["--create-backup", "--description", "before the upgrade"],
    );
    r.expect_code(0);
    assert!(r.stdout.contains("as revision 2"), "{}", r.stdout);
    let revs = history(&s, &tc);
    assert_eq!(
        revs[1]["description"], "restore point: before the upgrade",
        "{revs:?}"
    );
    deploy(
        &s,
        &tc,
        &format!(
            "{}---\n{}",
            config("two"),
            workload("web", "registry.example.com/web:2.0")
        ),
        "60",
    )
    .expect_code(0);
    rollback(&s, &tc, &["--target-revision", "2", "--confirm"]).expect_code(0);
    assert_eq!(
        tc.get("v1", "ConfigMap", Some("shop"), "settings").unwrap()["data"]["mode"],
        "hand-edited"
    );
    assert_eq!(image(&tc, "web"), "registry.example.com/web:1.0");
    // A set never deployed has no live state to record.
    let r = run_cg(
        &s,
        &tc,
        &[
            "rollback",
            "--set",
            "other",
            "-n",
            "shop",
            "--create-backup",
            "x",
        ],
    );
    r.expect_code(2);
    assert!(
        r.stderr.contains("set other was never deployed"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_concurrent_deploy_during_a_rollback_is_refused_by_the_set_lock() {
    let tc = cluster();
    let s = Scratch::new();
    let slow = workload("web", "registry.example.com/web:1.0").replace(
        "  template:\n    metadata:\n",
        "  template:\n    metadata:\n      annotations: {testcluster.confgate.dev/ready-after: 6s}\n",
    );
    deploy(&s, &tc, &slow, "60").expect_code(0);
    deploy(
        &s,
        &tc,
        &workload("web", "registry.example.com/web:2.0"),
        "60",
    )
    .expect_code(0);
    let s2 = Scratch::new();
    let k = tc.kubeconfig_path().display().to_string();
    let dir = s2.path().to_path_buf();
    let handle = std::thread::spawn(move || {
        run_in(
            &dir,
            &[
                "rollback",
                "--set",
                "web",
                "-n",
                "shop",
                "--to-previous",
                "--confirm",
                "--kubeconfig",
                &k,
            ],
        )
    });
    // Wait until the rollback holds the lock, then try a deploy.
    let start = Instant::now();
    while tc
        .get("v1", "Secret", Some("shop"), "confgate-lock.web")
        .is_none()
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the rollback never locked the set"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let r = deploy(
        &s,
        &tc,
        &workload("web", "registry.example.com/web:3.0"),
        "60",
    );
    r.expect_code(2);
    let said = format!("{}{}", r.stdout, r.stderr);
    assert!(
        said.contains("being changed by a concurrent rollback"),
        "{said}"
    );
    let rb = handle.join().unwrap();
    rb.expect_code(0);
    assert_eq!(image(&tc, "web"), "registry.example.com/web:1.0");
    assert!(
        tc.get("v1", "Secret", Some("shop"), "confgate-lock.web")
            .is_none()
    );
    // A lock left by a killed process is taken over once it expired, not before.
    let lock = |expires: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\ntype: confgate.dev/lock.v1\nmetadata:\n  name: confgate-lock.web\n  namespace: shop\n  annotations: {{confgate.dev/holder: ci@runner pid 1, confgate.dev/operation: deploy, confgate.dev/acquired: '2026-01-01T00:00:00Z', confgate.dev/expires: '{expires}'}}\n"
        )
    };
    tc.load_yaml(&lock("2999-01-01T00:00:00Z")).unwrap();
    let r = rollback(&s, &tc, &["--to-previous", "--confirm"]);
    r.expect_code(2);
    assert!(
        r.stdout.contains("ci@runner pid 1") || r.stderr.contains("ci@runner pid 1"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    tc.load_yaml(&lock("2000-01-01T00:00:00Z")).unwrap();
    rollback(&s, &tc, &["--to-previous", "--confirm"]).expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollback_across_a_removed_api_version_is_refused_with_the_fix() {
    use confgate::cluster::{ConnectOptions, KubeconfigSource};
    use confgate::revision::{Revision, RevisionStore};
    let tc = cluster();
    let s = Scratch::new();
    deploy(
        &s,
        &tc,
        &workload("web", "registry.example.com/web:1.0"),
        "60",
    )
    .expect_code(0);
    // A revision recorded when the cluster still served extensions/v1beta1 Ingresses.
    let c = confgate::cluster::connect_all(&ConnectOptions {
        source: KubeconfigSource::Explicit(tc.kubeconfig_path().to_path_buf()),
        ..Default::default()
    })
    .await
    .unwrap()
    .remove(0);
    let store = RevisionStore::open(&c, "shop", "web", 0, None)
        .await
        .unwrap();
    let old: Value = serde_yaml::from_str(
        "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec: {backend: {serviceName: web, servicePort: 80}}",
    )
    .unwrap();
    let mut rev = Revision::new("web", "shop", "old-ci", vec![old]);
    rev.rollout = confgate::revision::Rollout::Succeeded;
    let n = store.record(rev).await.unwrap();
    let r = tokio::task::spawn_blocking(move || {
        let s = Scratch::new();
        let k = tc.kubeconfig_path().display().to_string();
        let r = s.run(&[
            "rollback",
            "--set",
            "web",
            "-n",
            "shop",
            "--target-revision",
            &n.to_string(),
            "--confirm",
            "--kubeconfig",
            &k,
        ]);
        (r, image(&tc, "web"))
    })
    .await
    .unwrap();
    let (r, img) = r;
    r.expect_code(2);
    assert!(
        r.stdout
            .contains("Ingress/web uses extensions/v1beta1, which the cluster does not serve"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("migrate Ingress web to networking.k8s.io/v1"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("nothing was changed"), "{}", r.stdout);
    assert_eq!(img, "registry.example.com/web:1.0");
}

#[test]
fn losing_the_cluster_mid_rollback_under_atomic_attempts_the_restore_and_says_how_it_went() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(
        &s,
        &tc,
        &workload("web", "registry.example.com/web:never-ready"),
        "3",
    )
    .expect_code(1);
    deploy(
        &s,
        &tc,
        &workload("web", "registry.example.com/web:2.0"),
        "60",
    )
    .expect_code(0);
    let k = tc.kubeconfig_path().display().to_string();
    let dir = s.path().to_path_buf();
    let handle = std::thread::spawn(move || {
        run_in(
            &dir,
            &[
                "rollback",
                "--set",
                "web",
                "-n",
                "shop",
                "--target-revision",
                "1",
                "--strategy",
                "atomic",
                "--timeout",
                "20",
                "--interval",
                "1",
                "--request-timeout",
                "2",
                "--confirm",
                "--kubeconfig",
                &k,
            ],
        )
    });
    // The rollback applied the target: the cluster goes away.
    let start = Instant::now();
    while image(&tc, "web") != "registry.example.com/web:never-ready" {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the rollback never applied"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = tc.request_count("/");
    tc.faults().fail(None, "/", 503, 1_000_000);
    let r = handle.join().unwrap();
    tc.faults().clear();
    r.expect_code(2);
    assert!(
        r.stdout
            .contains("restore the state from before the rollback: restore-failed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("putting back the state from before it failed too"),
        "{}",
        r.stdout
    );
    assert!(tc.request_count("/") > before, "no restore was attempted");
}

#[test]
fn auto_rollback_returns_to_the_last_healthy_revision_when_the_health_stays_low() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(
        &s,
        &tc,
        &workload("web", "registry.example.com/web:1.0"),
        "60",
    )
    .expect_code(0);
    deploy(
        &s,
        &tc,
        &workload("web", "registry.example.com/web:crashloop"),
        "3",
    )
    .expect_code(1);
    // The old pod keeps serving while the new ones crash (a rolling update), so the score
    // stays near 80: the threshold says what this team calls healthy.
    // Without --confirm: the health is watched, the rollback it would run is shown.
    let r = rollback(
        &s,
        &tc,
        &[
            "--auto-rollback",
            "--duration",
            "20",
            "--consecutive",
            "2",
            "--health-threshold",
            "85",
        ],
    );
    r.expect_code(1);
    assert!(
        r.stdout
            .contains("rolling back to revision 1, the last recorded healthy"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("--confirm to roll back automatically"),
        "{}",
        r.stdout
    );
    assert_eq!(image(&tc, "web"), "registry.example.com/web:crashloop");
    let r = rollback(
        &s,
        &tc,
        &[
            "--auto",
            "--duration",
            "20",
            "--consecutive",
            "2",
            "--health-threshold",
            "85",
            "--confirm",
        ],
    );
    r.expect_code(1);
    assert!(r.stdout.contains("rollback done, healthy"), "{}", r.stdout);
    assert!(
        r.stdout.contains("post-rollback validation"),
        "{}",
        r.stdout
    );
    assert_eq!(image(&tc, "web"), "registry.example.com/web:1.0");
    // Healthy now: watching changes nothing and exits 0.
    let r = rollback(
        &s,
        &tc,
        &[
            "--auto-rollback",
            "--duration",
            "2",
            "--health-threshold",
            "85",
            "--confirm",
        ],
    );
    r.expect_code(0);
    assert!(
        r.stdout.contains("healthy: the health never stayed under"),
        "{}",
        r.stdout
    );
}

#[test]
fn the_impact_is_a_section_of_the_html_report_and_rollback_settings_are_checked() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(
        &s,
        &tc,
        &workload("web", "registry.example.com/web:1.0").replace(
            "    spec:\n      containers:",
            "    spec:\n      hostNetwork: true\n      containers:",
        ),
        "60",
    )
    .expect_code(0);
    deploy(
        &s,
        &tc,
        &workload("web", "registry.example.com/web:2.0"),
        "60",
    )
    .expect_code(0);
    let out = s.path().join("impact.html");
    let o = out.display().to_string();
    rollback(
        &s,
        &tc,
        &["--to-previous", "--format", "html", "--output", &o],
    )
    .expect_code(1);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("id=\"rollback\""), "no rollback section");
    assert!(
        html.contains("<td><code>CG1007</code></td>"),
        "no re-introduced finding"
    );
    assert!(html.contains("data-change=\"update\""));
    s.write("confgate.toml", "[rollback]\nstrategy = \"fast\"\n");
    let r = rollback(&s, &tc, &["--to-previous"]);
    r.expect_code(2);
    assert!(
        r.stderr
            .contains("expected standard, atomic or incremental"),
        "{}",
        r.stderr
    );
    s.write("confgate.toml", "[rollback]\nhealth-threshold = 101\n");
    rollback(&s, &tc, &["--to-previous"]).expect_code(2);
    s.write(
        "confgate.toml",
        "[rollback]\nstrategy = \"atomic\"\n[rollback.health-weights]\nsecurity = 0\n",
    );
    let r = rollback(&s, &tc, &["--to-previous", "--allow-findings"]);
    r.expect_code(0);
    assert!(r.stdout.contains("strategy atomic"), "{}", r.stdout);
}

#[test]
fn deploy_rolls_back_a_rollout_that_finished_under_the_health_threshold() {
    let tc = cluster();
    let s = Scratch::new();
    deploy(
        &s,
        &tc,
        &workload("web", "registry.example.com/web:1.0"),
        "60",
    )
    .expect_code(0);
    s.write(
        "app/app.yaml",
        workload("web", "registry.example.com/web:2.0"),
    );
    // The rollout succeeds, but the workload's security findings keep the score near 90:
    // under a threshold of 99 this rollout failed, and the previous revision comes back.
    let r = run_cg(
        &s,
        &tc,
        &[
            "deploy",
            "app",
            "--set",
            "web",
            "-n",
            "shop",
            "--apply",
            "--wait-for-rollout",
            "--timeout",
            "60",
            "--fail-on",
            "critical",
            "--health-threshold",
            "99",
            "--rollback-on-failure",
        ],
    );
    r.expect_code(1);
    let said = format!("{}{}", r.stdout, r.stderr);
    assert!(
        said.contains("is under the threshold 99 after the rollout"),
        "{said}"
    );
    assert_eq!(image(&tc, "web"), "registry.example.com/web:1.0");
    let revs = history(&s, &tc);
    assert_eq!(revs[1]["rollout"]["state"], "failed", "{revs:?}");
    assert!(
        revs[2]["description"]
            .as_str()
            .unwrap()
            .contains("automatic rollback to revision 1"),
        "{revs:?}"
    );
}

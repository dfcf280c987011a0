//! The revision store against the test API server: record, list, get, numbering under
//! concurrency, pruning, chunking of large revisions, Secret values (sealed or referenced,
//! never in clear in any stored object), rollout updates and damaged revisions.

#![cfg(feature = "cluster")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use confgate::cluster::{Cluster, ConnectOptions, KubeconfigSource};
use confgate::diag::Code;
use confgate::revision::encode::{self, DATA_KEY, SECRET_TYPE};
use confgate::revision::{
    Revision, RevisionStore, Rollout, ScanSummary, SecretCheck, SecretMode, check_live_secret,
};
use confgate::seal::Key;
use confgate_testcluster::{Options, TestCluster};
use serde_json::{Value, json};

const NS: &str = "shop";
const CLEAR: &str = "s3cr3t-P@ssw0rd-never-stored";

fn start() -> TestCluster {
    let tc = TestCluster::start(Options::default()).unwrap();
    tc.load_yaml(&format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NS}\n"
    ))
    .unwrap();
    tc
}

async fn connect(tc: &TestCluster) -> Cluster {
    let opts = ConnectOptions {
        source: KubeconfigSource::Explicit(tc.kubeconfig_path().to_path_buf()),
        ..Default::default()
    };
    confgate::cluster::connect_all(&opts)
        .await
        .unwrap()
        .remove(0)
}

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn manifests(tag: &str) -> Vec<Value> {
    vec![
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": NS},
               "spec": {"replicas": 2, "template": {"metadata": {"annotations": {"tag": tag}}}}}),
        json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
               "metadata": {"name": "db", "namespace": NS},
               "data": {"password": b64(CLEAR.as_bytes())},
               "stringData": {"url": format!("postgres://u:{CLEAR}@db")}}),
    ]
}

fn revision(tag: &str) -> Revision {
    let mut r = Revision::new("web", NS, "ci@example.com", manifests(tag));
    r.description = Some(format!("deploy {tag}"));
    r.commit = Some("1234567890abcdef".into());
    r.scan = ScanSummary {
        medium: 2,
        info: 1,
        fingerprints: vec!["aaa".into(), "bbb".into(), "ccc".into()],
        ..ScanSummary::default()
    };
    r
}

/// Pseudo-random printable text: compresses badly, like real certificates and bundles.
fn noise(len: usize, seed: u64) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'0' + (x % 75) as u8)
        })
        .collect()
}

/// The decompressed payloads of every stored revision chunk set, as text.
fn stored_payloads(tc: &TestCluster) -> Vec<String> {
    let chunks: Vec<Value> = tc
        .objects()
        .into_iter()
        .filter(|o| o.get("type").and_then(Value::as_str) == Some(SECRET_TYPE))
        .collect();
    let mut numbers: Vec<u64> = chunks.iter().filter_map(encode::number_of).collect();
    numbers.sort();
    numbers.dedup();
    numbers
        .into_iter()
        .map(|n| {
            let rev = encode::decode("web", n, &chunks).unwrap();
            serde_json::to_string(&rev).unwrap()
        })
        .collect()
}

/// No stored byte anywhere (raw objects and decompressed revision payloads) holds `clear`.
fn assert_nowhere(tc: &TestCluster, clear: &str) {
    let needles = [clear.to_string(), b64(clear.as_bytes())];
    for o in tc.objects() {
        let text = serde_json::to_string(&o).unwrap();
        for n in &needles {
            assert!(
                !text.contains(n.as_str())
                    || o.pointer("/metadata/name").and_then(Value::as_str) == Some("db"),
                "clear value stored in {}",
                o["metadata"]["name"]
            );
        }
    }
    let payloads = stored_payloads(tc);
    assert!(!payloads.is_empty());
    for p in payloads {
        for n in &needles {
            assert!(!p.contains(n.as_str()), "clear value in a revision payload");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn record_list_get_round_trip_with_increasing_numbers() {
    let tc = start();
    let c = connect(&tc).await;
    let store = RevisionStore::open(&c, NS, "web", 10, None).await.unwrap();
    assert!(store.list().await.unwrap().is_empty());
    assert!(store.latest().await.unwrap().is_none());

    let a = store.record(revision("a")).await.unwrap();
    let b = store.record(revision("b")).await.unwrap();
    let c3 = store.record(revision("c")).await.unwrap();
    assert_eq!((a, b, c3), (1, 2, 3));

    let list = store.list().await.unwrap();
    assert_eq!(
        list.iter().map(|s| s.number).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let s = &list[1];
    assert!(s.complete);
    assert_eq!(s.set, "web");
    assert_eq!(s.namespace, NS);
    assert_eq!(s.author, "ci@example.com");
    assert_eq!(s.description.as_deref(), Some("deploy b"));
    assert_eq!(s.commit.as_deref(), Some("1234567890abcdef"));
    assert_eq!(s.scan.medium, 2);
    assert_eq!(s.scan.findings, 3);
    assert_eq!(s.rollout, Rollout::Pending);
    assert_eq!(s.secrets, SecretMode::Referenced);
    assert_eq!(s.chunks, 1);

    let got = store.get(2).await.unwrap();
    assert_eq!(got.number, 2);
    assert_eq!(got.manifests[0], manifests("b")[0]);
    assert_eq!(got.scan.fingerprints, vec!["aaa", "bbb", "ccc"]);
    assert_eq!(got.summary().created, s.created);
    assert_eq!(store.latest().await.unwrap().unwrap().number, 3);

    // The stored object is what the format says.
    let obj = tc
        .get("v1", "Secret", Some(NS), "confgate-rev.web.v2")
        .unwrap();
    assert_eq!(obj["type"], SECRET_TYPE);
    assert_eq!(
        obj["metadata"]["labels"]["confgate.dev/revision-set"],
        "web"
    );
    assert_eq!(obj["metadata"]["labels"]["confgate.dev/revision"], "2");
    assert_eq!(
        obj["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "confgate"
    );
    assert!(obj["data"][DATA_KEY].is_string());

    // Another set in the same namespace has its own history.
    let other = RevisionStore::open(&c, NS, "api", 10, None).await.unwrap();
    assert_eq!(other.record(revision("x")).await.unwrap(), 1);
    assert_eq!(store.list().await.unwrap().len(), 3);

    let e = store.get(9).await.unwrap_err();
    assert!(e.message.contains("revision 9 of set web"), "{}", e.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_records_get_different_numbers() {
    let tc = start();
    let c = connect(&tc).await;
    let s1 = RevisionStore::open(&c, NS, "web", 10, None).await.unwrap();
    let s2 = RevisionStore::open(&c, NS, "web", 10, None).await.unwrap();
    let s3 = RevisionStore::open(&c, NS, "web", 10, None).await.unwrap();
    let (a, b, d) = tokio::join!(
        s1.record(revision("one")),
        s2.record(revision("two")),
        s3.record(revision("three"))
    );
    let mut got = vec![a.unwrap(), b.unwrap(), d.unwrap()];
    got.sort();
    assert_eq!(got, vec![1, 2, 3]);
    let list = s1.list().await.unwrap();
    assert_eq!(list.len(), 3);
    assert!(list.iter().all(|s| s.complete));
}

#[tokio::test(flavor = "multi_thread")]
async fn history_max_prunes_the_oldest() {
    let tc = start();
    let c = connect(&tc).await;
    let store = RevisionStore::open(&c, NS, "web", 3, None).await.unwrap();
    for i in 0..5 {
        store.record(revision(&format!("r{i}"))).await.unwrap();
    }
    let numbers: Vec<u64> = store
        .list()
        .await
        .unwrap()
        .iter()
        .map(|s| s.number)
        .collect();
    assert_eq!(numbers, vec![3, 4, 5]);
    assert!(
        tc.get("v1", "Secret", Some(NS), "confgate-rev.web.v1")
            .is_none()
    );
    // Numbers keep increasing after pruning.
    assert_eq!(store.record(revision("r5")).await.unwrap(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revision_over_1_mib_is_chunked_and_read_back() {
    let tc = start();
    let c = connect(&tc).await;
    let store = RevisionStore::open(&c, NS, "web", 2, None).await.unwrap();
    let mut r = revision("big");
    for i in 0..4 {
        r.manifests
            .push(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("bundle-{i}"), "namespace": NS},
            "data": {"ca.crt": noise(600_000, i + 7)}}));
    }
    let n = store.record(r.clone()).await.unwrap();
    let s = store.list().await.unwrap().pop().unwrap();
    assert!(s.complete);
    assert!(s.size > 1536 * 1024, "compressed {}", s.size);
    assert!(s.chunks >= 3, "{}", s.chunks);
    for i in 0..s.chunks {
        let name = encode::chunk_name("web", n, i);
        let obj = tc.get("v1", "Secret", Some(NS), &name).unwrap();
        assert!(
            serde_json::to_vec(&obj).unwrap().len() < 1024 * 1024,
            "{name}"
        );
    }
    let got = store.get(n).await.unwrap();
    assert_eq!(got.manifests.len(), r.manifests.len());
    assert_eq!(got.manifests[2..], r.manifests[2..]);

    // Pruning a chunked revision deletes every chunk.
    store.record(revision("small-1")).await.unwrap();
    store.record(revision("small-2")).await.unwrap();
    let left: Vec<String> = tc
        .objects()
        .iter()
        .filter_map(|o| o.pointer("/metadata/name").and_then(Value::as_str))
        .filter(|name| name.starts_with(&format!("confgate-rev.web.v{n}")))
        .map(str::to_string)
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn encrypted_secrets_round_trip_and_a_wrong_key_errors() {
    let tc = start();
    let c = connect(&tc).await;
    let key = Key::generate().unwrap();
    let store = RevisionStore::open(&c, NS, "web", 10, Some(key.clone()))
        .await
        .unwrap();
    let n = store.record(revision("enc")).await.unwrap();
    let got = store.get(n).await.unwrap();
    assert_eq!(got.secrets, SecretMode::Encrypted);
    assert!(got.manifests[1].get("data").is_none());
    assert_eq!(store.restore(&got).unwrap(), manifests("enc"));
    assert_nowhere(&tc, CLEAR);

    let wrong = RevisionStore::open(&c, NS, "web", 10, Some(Key::generate().unwrap()))
        .await
        .unwrap();
    let e = wrong.restore(&wrong.get(n).await.unwrap()).unwrap_err();
    assert!(
        e.message.contains(&format!("revision {n} of set web")),
        "{}",
        e.message
    );
    assert!(e.message.contains("wrong key"), "{}", e.message);
    assert!(!e.message.contains(CLEAR));
    let keyless = RevisionStore::open(&c, NS, "web", 10, None).await.unwrap();
    let e = keyless.restore(&got).unwrap_err();
    assert_eq!(e.code, Code::Settings);
    assert!(e.message.contains("seal key"), "{}", e.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn referenced_secrets_hold_no_clear_value() {
    let tc = start();
    let c = connect(&tc).await;
    let store = RevisionStore::open(&c, NS, "web", 10, None).await.unwrap();
    let n = store.record(revision("ref")).await.unwrap();
    assert_nowhere(&tc, CLEAR);
    let got = store.get(n).await.unwrap();
    let stored = &got.manifests[1];
    assert!(
        stored["data"]["password"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    // The rollback's question: does the live Secret still hold those values?
    tc.load_yaml(&serde_yaml_like(&manifests("ref")[1]))
        .unwrap();
    let live = tc.get("v1", "Secret", Some(NS), "db").unwrap();
    assert_eq!(check_live_secret(stored, &live), SecretCheck::Same);
    let mut changed = live.clone();
    changed["data"]["password"] = json!(b64(b"rotated"));
    assert_eq!(
        check_live_secret(stored, &changed),
        SecretCheck::Differs {
            keys: vec!["password".into()]
        }
    );
}

/// JSON is YAML: the test cluster's loader reads it.
fn serde_yaml_like(v: &Value) -> String {
    serde_json::to_string(v).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn set_rollout_updates_chunk_0() {
    let tc = start();
    let c = connect(&tc).await;
    let store = RevisionStore::open(&c, NS, "web", 10, None).await.unwrap();
    let n = store.record(revision("r")).await.unwrap();
    let failed = Rollout::Failed {
        reason: "deployment web: 1/2 ready after 5m".into(),
    };
    store.set_rollout(n, failed.clone()).await.unwrap();
    assert_eq!(store.list().await.unwrap()[0].rollout, failed);
    assert_eq!(store.get(n).await.unwrap().rollout, failed);
    store.set_rollout(n, Rollout::Succeeded).await.unwrap();
    assert_eq!(store.get(n).await.unwrap().rollout, Rollout::Succeeded);
    // Two updates racing both land (409s retried).
    let s2 = RevisionStore::open(&c, NS, "web", 10, None).await.unwrap();
    let (a, b) = tokio::join!(
        store.set_rollout(n, Rollout::Interrupted),
        s2.set_rollout(n, Rollout::Interrupted)
    );
    a.unwrap();
    b.unwrap();
    assert_eq!(store.get(n).await.unwrap().rollout, Rollout::Interrupted);
    assert!(store.set_rollout(99, Rollout::Succeeded).await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_chunks_and_incomplete_revisions_are_detected() {
    let tc = start();
    let c = connect(&tc).await;
    let secrets = c.resource_type("v1", "Secret").await.unwrap();
    let store = RevisionStore::open(&c, NS, "web", 10, None).await.unwrap();
    let mut r = revision("big");
    r.manifests
        .push(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "bundle", "namespace": NS},
        "data": {"blob": noise(1_200_000, 3)}}));
    let n = store.record(r.clone()).await.unwrap();
    assert!(store.list().await.unwrap()[0].chunks >= 2);
    c.delete_object(&secrets, Some(NS), &encode::chunk_name("web", n, 1), false)
        .await
        .unwrap();
    let e = store.get(n).await.unwrap_err();
    assert!(
        e.message.contains(&format!("revision {n} of set web")),
        "{}",
        e.message
    );
    assert!(e.message.contains("missing"), "{}", e.message);

    // A chunk 0 whose other chunks were never written is listed as incomplete, never read
    // as a revision, and its number is not given again.
    let mut half = r.clone();
    half.set = "web".into();
    half.namespace = NS.into();
    half.number = n + 1;
    let chunks = encode::encode(&half).unwrap();
    assert!(chunks.len() >= 2);
    c.create_object(&secrets, Some(NS), &chunks[0])
        .await
        .unwrap();
    let list = store.list().await.unwrap();
    let last = list.last().unwrap();
    assert_eq!(last.number, n + 1);
    assert!(!last.complete);
    let e = store.get(n + 1).await.unwrap_err();
    assert!(e.message.contains("incomplete"), "{}", e.message);
    assert_eq!(store.record(revision("next")).await.unwrap(), n + 2);
    assert_eq!(store.latest().await.unwrap().unwrap().number, n + 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_set_names_are_refused() {
    let tc = start();
    let c = connect(&tc).await;
    for bad in ["Web", "a.b", "", "web_1"] {
        let e = RevisionStore::open(&c, NS, bad, 10, None)
            .await
            .unwrap_err();
        assert_eq!(e.code, Code::Settings, "{bad}");
    }
}

const SECRETS_PATH: &str = "/api/v1/namespaces/shop/secrets";

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_number_is_retried_with_the_next_and_gives_up_after_a_few() {
    let tc = start();
    let c = connect(&tc).await;
    let store = RevisionStore::open(&c, NS, "web", 10, None).await.unwrap();
    // The server answers the first create of chunk 0 with 409 (another deploy took N).
    tc.faults().fail(Some("POST"), SECRETS_PATH, 409, 1);
    assert_eq!(store.record(revision("a")).await.unwrap(), 2);
    let numbers: Vec<u64> = store
        .list()
        .await
        .unwrap()
        .iter()
        .map(|s| s.number)
        .collect();
    assert_eq!(numbers, vec![2]);
    // Always taken: a clear error after a few attempts, nothing half-written.
    tc.faults().fail(Some("POST"), SECRETS_PATH, 409, 50);
    let e = store.record(revision("b")).await.unwrap_err();
    tc.faults().clear();
    assert!(e.message.contains("concurrent deploys"), "{}", e.message);
    assert_eq!(store.list().await.unwrap().len(), 1);
    assert_eq!(store.record(revision("c")).await.unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_recording_leaves_nothing_behind_and_conflicting_updates_are_retried() {
    let tc = start();
    let c = connect(&tc).await;
    let store = RevisionStore::open(&c, NS, "web", 10, None).await.unwrap();
    let mut r = revision("big");
    r.manifests
        .push(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "bundle", "namespace": NS},
        "data": {"blob": noise(1_000_000, 11)}}));
    // Marking chunk 0 complete (a PUT) keeps failing: the recording fails and is removed.
    tc.faults().fail(Some("PUT"), SECRETS_PATH, 500, 20);
    let e = store.record(r.clone()).await.unwrap_err();
    tc.faults().clear();
    assert!(e.message.contains("revision 1 of set web"), "{}", e.message);
    assert!(store.list().await.unwrap().is_empty());
    assert!(
        !tc.objects()
            .iter()
            .any(|o| o.get("type").and_then(Value::as_str) == Some(SECRET_TYPE)),
        "chunks left behind"
    );
    // A 409 on the update of chunk 0 is retried after re-reading it.
    let n = store.record(r).await.unwrap();
    tc.faults().fail(Some("PUT"), SECRETS_PATH, 409, 2);
    store.set_rollout(n, Rollout::Succeeded).await.unwrap();
    assert_eq!(store.get(n).await.unwrap().rollout, Rollout::Succeeded);
}

#[tokio::test(flavor = "multi_thread")]
async fn incomplete_revisions_whose_writer_is_gone_are_pruned() {
    let tc = start();
    let c = connect(&tc).await;
    let secrets = c.resource_type("v1", "Secret").await.unwrap();
    let store = RevisionStore::open(&c, NS, "web", 10, None).await.unwrap();
    let half = |n: u64| {
        let mut r = revision("half");
        r.manifests
            .push(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "bundle", "namespace": NS},
            "data": {"blob": noise(800_000, n)}}));
        r.number = n;
        let chunks = encode::encode(&r).unwrap();
        assert!(chunks.len() >= 2);
        chunks[0].clone()
    };
    // Chunk 0 of revision 1, written long ago by a deploy that never finished.
    let mut old = half(1);
    old["metadata"]["creationTimestamp"] = json!("2000-01-01T00:00:00Z");
    tc.load_yaml(&serde_json::to_string(&old).unwrap()).unwrap();
    assert!(!store.list().await.unwrap()[0].complete);
    assert_eq!(store.record(revision("a")).await.unwrap(), 2);
    let numbers: Vec<u64> = store
        .list()
        .await
        .unwrap()
        .iter()
        .map(|s| s.number)
        .collect();
    assert_eq!(numbers, vec![2]);
    // One being written right now is left alone.
    c.create_object(&secrets, Some(NS), &half(3)).await.unwrap();
    assert_eq!(store.record(revision("b")).await.unwrap(), 4);
    let numbers: Vec<u64> = store
        .list()
        .await
        .unwrap()
        .iter()
        .map(|s| s.number)
        .collect();
    assert_eq!(numbers, vec![2, 3, 4]);
}

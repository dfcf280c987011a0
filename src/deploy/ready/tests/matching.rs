//! Pods and Events of a workload.

use super::*;
use crate::deploy::ready::matching::name;

// --- pods_of ---------------------------------------------------------------------------

const PODS: &str = "
- metadata: {name: web-1, namespace: shop, labels: {app: web, tier: front, track: stable}}
- metadata: {name: web-2, namespace: shop, labels: {app: web, tier: front, track: canary}}
- metadata: {name: web-3, namespace: shop, labels: {app: web, tier: back}}
- metadata: {name: web-4, namespace: other, labels: {app: web, tier: front}}
- metadata: {name: api-1, namespace: shop, labels: {app: api}}
- metadata: {name: migrate-x7k2p, namespace: shop, labels: {batch.kubernetes.io/job-name: migrate, job-name: migrate}}
- metadata: {name: old-job-pod, namespace: shop, labels: {job-name: migrate}}
- metadata: {name: unlabelled, namespace: shop}
";

fn names(pods: &[&Value]) -> Vec<String> {
    pods.iter()
        .map(|p| name(p).unwrap_or("").to_string())
        .collect()
}

#[test]
fn pods_of_match_labels_and_expressions() {
    let pods = objs(PODS);
    let d = obj("
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector:
    matchLabels: {app: web}
    matchExpressions:
    - {key: tier, operator: In, values: [front, edge]}
    - {key: track, operator: NotIn, values: [canary]}
");
    assert_eq!(names(&pods_of(&d, &pods)), ["web-1"]);
    let exists = obj("
kind: StatefulSet
metadata: {name: web, namespace: shop}
spec:
  selector:
    matchExpressions:
    - {key: app, operator: Exists}
    - {key: track, operator: DoesNotExist}
");
    assert_eq!(names(&pods_of(&exists, &pods)), ["web-3", "api-1"]);
    let bad_op = obj(
        "kind: DaemonSet\nmetadata: {name: w, namespace: shop}\nspec: {selector: {matchExpressions: [{key: app, operator: Gt, values: ['1']}]}}\n",
    );
    assert!(pods_of(&bad_op, &pods).is_empty());
}

#[test]
fn pods_of_jobs_rcs_pods_and_empty_selectors() {
    let pods = objs(PODS);
    let job = obj(
        "kind: Job\nmetadata: {name: migrate, namespace: shop}\nspec: {selector: {matchLabels: {batch.kubernetes.io/controller-uid: 1234}}}\n",
    );
    assert_eq!(
        names(&pods_of(&job, &pods)),
        ["migrate-x7k2p", "old-job-pod"]
    );
    let rc = obj(
        "kind: ReplicationController\nmetadata: {name: api, namespace: shop}\nspec: {selector: {app: api}}\n",
    );
    assert_eq!(names(&pods_of(&rc, &pods)), ["api-1"]);
    let pod = obj("kind: Pod\nmetadata: {name: web-2, namespace: shop}\n");
    assert_eq!(names(&pods_of(&pod, &pods)), ["web-2"]);
    // A missing or empty selector selects nothing (not everything).
    for spec in ["{}", "{selector: {}}", "{selector: {matchLabels: {}}}"] {
        let d = obj(&format!(
            "kind: Deployment\nmetadata: {{name: web, namespace: shop}}\nspec: {spec}\n"
        ));
        assert!(pods_of(&d, &pods).is_empty(), "{spec}");
    }
    // A workload without a namespace is in `default`.
    let d = obj(
        "kind: Deployment\nmetadata: {name: web}\nspec: {selector: {matchLabels: {app: web}}}\n",
    );
    assert!(pods_of(&d, &pods).is_empty());
}

// --- events_for ------------------------------------------------------------------------

#[test]
fn events_for_the_object_its_pods_and_replicasets_warning_first() {
    let events = objs("
- {metadata: {name: e1}, type: Normal, reason: ScalingReplicaSet, involvedObject: {kind: Deployment, name: web, namespace: shop, uid: d-1}}
- {metadata: {name: e2}, type: Warning, reason: FailedCreate, involvedObject: {kind: ReplicaSet, name: web-5d4f8, namespace: shop}}
- {metadata: {name: e3}, type: Normal, reason: Pulled, involvedObject: {kind: Pod, name: web-5d4f8-abcde, namespace: shop}}
- {metadata: {name: e4}, type: Warning, reason: BackOff, involvedObject: {kind: Pod, name: web-5d4f8-abcde, namespace: shop}}
- {metadata: {name: e5}, type: Warning, reason: BackOff, involvedObject: {kind: Pod, name: web-5d4f8-abcde, namespace: other}}
- {metadata: {name: e6}, type: Warning, reason: FailedCreate, involvedObject: {kind: ReplicaSet, name: web-api-7c9, namespace: shop}}
- {metadata: {name: e7}, type: Normal, reason: ScalingReplicaSet, involvedObject: {kind: Deployment, name: web, namespace: shop, uid: d-0}}
- {metadata: {name: e8, namespace: shop}, type: Warning, reason: Unhealthy, regarding: {kind: Pod, name: web-5d4f8-abcde}}
- {metadata: {name: e9}, type: Warning, reason: FailedCreate, involvedObject: {kind: ReplicaSet, name: frontend-x, namespace: shop}}
");
    let d = obj("kind: Deployment\nmetadata: {name: web, namespace: shop, uid: d-1}\n");
    let pod = obj(
        "metadata: {name: web-5d4f8-abcde, namespace: shop, ownerReferences: [{kind: ReplicaSet, name: frontend-x}]}\n",
    );
    let got: Vec<&str> = events_for(&d, &[&pod], &events)
        .iter()
        .map(|e| text(e, &["metadata", "name"]).unwrap())
        .collect();
    assert_eq!(got, ["e2", "e4", "e8", "e9", "e1", "e3"]);
    // Events about the claims the pods mount, in the pods' namespace.
    let sts_pod = obj(
        "metadata: {name: db-0, namespace: shop}\nspec: {volumes: [{name: data, persistentVolumeClaim: {claimName: data-db-0}}, {name: tmp, emptyDir: {}}]}\n",
    );
    let sts = obj("kind: StatefulSet\nmetadata: {name: db, namespace: shop}\n");
    let ev = objs("
- {metadata: {name: p1}, type: Warning, reason: ProvisioningFailed, involvedObject: {kind: PersistentVolumeClaim, name: data-db-0, namespace: shop}}
- {metadata: {name: p2}, type: Warning, reason: ProvisioningFailed, involvedObject: {kind: PersistentVolumeClaim, name: data-db-0, namespace: other}}
- {metadata: {name: p3}, type: Warning, reason: ProvisioningFailed, involvedObject: {kind: PersistentVolumeClaim, name: data-db-1, namespace: shop}}
");
    let got = events_for(&sts, &[&sts_pod], &ev);
    assert_eq!(got.len(), 1);
    assert_eq!(text(got[0], &["metadata", "name"]), Some("p1"));
    // A cluster-scoped object matches events whatever their namespace.
    let crd = obj("kind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n");
    let ev = objs(
        "- {metadata: {name: c, namespace: default}, type: Warning, involvedObject: {kind: CustomResourceDefinition, name: widgets.example.com}}\n",
    );
    assert_eq!(events_for(&crd, &[], &ev).len(), 1);
}

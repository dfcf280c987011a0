//! Readiness of the other kinds (Pod, PersistentVolumeClaim, CRD, Service) and of messages.

use super::workloads::deployment_with;
use super::*;

// --- Pod -------------------------------------------------------------------------------

#[test]
fn pod_ready_progressing_failed() {
    let running = "
apiVersion: v1
kind: Pod
metadata: {name: web-abc-12345}
status:
  phase: Running
  conditions: [{type: PodScheduled, status: 'True'}, {type: Ready, status: 'True'}]
";
    assert_eq!(ready(running), Readiness::Ready);
    assert_eq!(
        ready("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {phase: Succeeded}\n"),
        Readiness::Ready
    );
    assert_eq!(
        ready(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {phase: Failed, reason: Evicted, message: 'The node was low on resource: memory.'}\n"
        ),
        Readiness::Failed("Evicted: The node was low on resource: memory.".into())
    );
    assert_eq!(
            ready(&running.replace("{type: Ready, status: 'True'}]", "{type: Ready, status: 'False'}]\n  containerStatuses: [{name: app, state: {waiting: {reason: CrashLoopBackOff}}}]")),
            Readiness::Progressing("container app CrashLoopBackOff".into())
        );
    assert_progressing(
        ready(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus:\n  phase: Pending\n  conditions: [{type: PodScheduled, status: 'False', reason: Unschedulable, message: '0/3 nodes are available: insufficient cpu'}]\n",
        ),
        "not scheduled: Unschedulable: 0/3 nodes are available: insufficient cpu",
    );
    assert_eq!(
        ready("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {phase: Pending}\n"),
        Readiness::Progressing("phase Pending, not ready".into())
    );
}

// --- PersistentVolumeClaim, CRD, Service ----------------------------------------------

#[test]
fn pvc_bound_pending_lost() {
    let pvc = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec: {accessModes: [ReadWriteOnce]}\nstatus: {phase: PHASE}\n";
    assert_eq!(ready(&pvc.replace("PHASE", "Bound")), Readiness::Ready);
    assert_eq!(
        ready(&pvc.replace("PHASE", "Pending")),
        Readiness::Progressing("phase Pending".into())
    );
    assert_failed(ready(&pvc.replace("PHASE", "Lost")), "Lost");
}

#[test]
fn crd_established_names_not_accepted() {
    let crd = "
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
status:
  conditions:
  - {type: NamesAccepted, status: 'True', reason: NoConflicts}
  - {type: Established, status: 'True', reason: InitialNamesAccepted}
";
    assert_eq!(ready(crd), Readiness::Ready);
    assert_progressing(
        ready(&crd.replace(
            "{type: Established, status: 'True', reason: InitialNamesAccepted}",
            "{type: Established, status: 'False', reason: Installing}",
        )),
        "not established: Installing",
    );
    assert_failed(
            ready(&crd.replace(
                "{type: NamesAccepted, status: 'True', reason: NoConflicts}",
                "{type: NamesAccepted, status: 'False', reason: ListKindConflict, message: '\"WidgetList\" is already in use'}",
            )),
            "ListKindConflict: \"WidgetList\" is already in use",
        );
}

#[test]
fn services_wait_for_a_load_balancer_only_when_asked() {
    let lb = "apiVersion: v1\nkind: Service\nmetadata: {name: front}\nspec: {type: LoadBalancer}\nstatus: {loadBalancer: {}}\n";
    let on = ReadyOptions {
        load_balancer: true,
    };
    assert_eq!(ready(lb), Readiness::Ready);
    assert_progressing(readiness(&obj(lb), on), "load balancer");
    let with_ip = lb.replace(
        "loadBalancer: {}",
        "loadBalancer: {ingress: [{ip: 203.0.113.7}]}",
    );
    assert_eq!(readiness(&obj(&with_ip), on), Readiness::Ready);
    let cluster_ip =
        "apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec: {type: ClusterIP}\n";
    assert_eq!(readiness(&obj(cluster_ip), on), Readiness::Ready);
    // A Service never fails: an unallocated address stays Progressing.
    assert_progressing(
        readiness(&obj(&lb.replace("status: {loadBalancer: {}}\n", "")), on),
        "load balancer",
    );
}

#[test]
fn messages_from_the_cluster_are_escaped() {
    let r = deployment_with(
        "{type: Progressing, status: 'True', reason: NewReplicaSetAvailable}",
        "{type: Progressing, status: 'False', reason: ProgressDeadlineExceeded, message: \"evil\\n::error::x\\e[31m\"}",
    );
    assert_eq!(
        r,
        Readiness::Failed("ProgressDeadlineExceeded: evil\\n::error::x\\x1b[31m".into())
    );
}

#[test]
fn readiness_serializes_for_json_reports() {
    assert_eq!(
        serde_json::to_string(&Readiness::Ready).unwrap(),
        "\"Ready\""
    );
    assert_eq!(
        serde_json::to_string(&Readiness::Progressing("paused".into())).unwrap(),
        "{\"Progressing\":\"paused\"}"
    );
}

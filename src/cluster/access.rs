//! Permission pre-flight: given the (verb, group, resource, namespace) tuples a command will
//! need, ask the API server with `SelfSubjectAccessReview`s (concurrently) and return every
//! missing permission at once, so a deploy never stops half-way for want of one. Also the
//! identity the credentials stand for (`SelfSubjectReview`, what `kubectl auth whoami` shows).

use futures::StreamExt;
use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::{Api, PostParams};

use crate::diag::Diagnostic;

use super::discovery::ResourceType;
use super::{Cluster, errors};

/// One permission a command needs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Permission {
    pub verb: String,
    /// `""` for the core group.
    pub group: String,
    pub resource: String,
    /// `None`: cluster-wide (every namespace, or a cluster-scoped resource).
    pub namespace: Option<String>,
}

impl Permission {
    pub fn new(verb: &str, group: &str, resource: &str, namespace: Option<&str>) -> Permission {
        Permission {
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            namespace: namespace.map(str::to_string),
        }
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let resource = if self.group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}.{}", self.resource, self.group)
        };
        match &self.namespace {
            Some(ns) => write!(f, "{} {resource} in namespace {ns}", self.verb),
            None => write!(f, "{} {resource} (cluster-wide)", self.verb),
        }
    }
}

/// Resource types a deploy writes, in the groups they live in.
const DEPLOYED: &[(&str, &str)] = &[
    ("", "configmaps"),
    ("", "secrets"),
    ("", "services"),
    ("", "serviceaccounts"),
    ("", "persistentvolumeclaims"),
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("networking.k8s.io", "ingresses"),
    ("networking.k8s.io", "networkpolicies"),
    ("policy", "poddisruptionbudgets"),
    ("autoscaling", "horizontalpodautoscalers"),
    ("rbac.authorization.k8s.io", "roles"),
    ("rbac.authorization.k8s.io", "rolebindings"),
];

/// What a live scan (or a backup, or an export) of `types` needs: list on each, in each
/// namespace given, or cluster-wide.
pub fn for_reading(types: &[ResourceType], namespaces: &[String]) -> Vec<Permission> {
    let mut out = Vec::new();
    for t in types.iter().filter(|t| t.can("list")) {
        if t.namespaced && !namespaces.is_empty() {
            for ns in namespaces {
                out.push(Permission::new("list", &t.group, &t.plural, Some(ns)));
            }
        } else {
            out.push(Permission::new("list", &t.group, &t.plural, None));
        }
    }
    out
}

/// What a deploy into `namespace` needs: read and server-side apply every deployed kind,
/// and watch what a rollout wait watches.
pub fn for_deploy(namespace: &str) -> Vec<Permission> {
    let ns = Some(namespace);
    let mut out = vec![Permission::new("get", "", "namespaces", None)];
    for (group, resource) in DEPLOYED {
        for verb in ["get", "create", "patch"] {
            out.push(Permission::new(verb, group, resource, ns));
        }
    }
    for (group, resource) in [("", "pods"), ("apps", "replicasets"), ("", "events")] {
        out.push(Permission::new("list", group, resource, ns));
    }
    out.push(Permission::new("watch", "apps", "deployments", ns));
    out
}

/// What a rollback in `namespace` needs: a deploy's, and deleting what the target revision
/// does not have.
pub fn for_rollback(namespace: &str) -> Vec<Permission> {
    let mut out = for_deploy(namespace);
    for (group, resource) in DEPLOYED {
        out.push(Permission::new("delete", group, resource, Some(namespace)));
    }
    out
}

/// What a backup of `namespace` needs (Secrets included: a backup that skips them is not
/// one).
pub fn for_backup(namespace: &str) -> Vec<Permission> {
    let mut out: Vec<Permission> = DEPLOYED
        .iter()
        .map(|(g, r)| Permission::new("list", g, r, Some(namespace)))
        .collect();
    out.push(Permission::new("get", "", "namespaces", None));
    out
}

/// What each cluster command needs, by name, for `namespace`: `scan` (list every type of
/// `readable`, cluster-wide), `deploy`, `rollback` and `backup`. `cluster check` and
/// `doctor` ask about exactly these.
pub fn by_command(
    readable: &[ResourceType],
    namespace: &str,
) -> Vec<(&'static str, Vec<Permission>)> {
    vec![
        ("scan", for_reading(readable, &[])),
        ("deploy", for_deploy(namespace)),
        ("rollback", for_rollback(namespace)),
        ("backup", for_backup(namespace)),
    ]
}

/// Asks about every permission (8 reviews in flight) and returns those not granted, sorted.
/// A review that cannot be asked is an error.
pub async fn missing(
    cluster: &Cluster,
    needed: &[Permission],
) -> Result<Vec<Permission>, Diagnostic> {
    let mut unique: Vec<&Permission> = needed.iter().collect();
    unique.sort();
    unique.dedup();
    let api: Api<SelfSubjectAccessReview> = Api::all(cluster.client().clone());
    let answers: Vec<Result<Option<Permission>, Diagnostic>> = futures::stream::iter(unique)
        .map(|p| {
            let api = api.clone();
            async move {
                let review = SelfSubjectAccessReview {
                    spec: SelfSubjectAccessReviewSpec {
                        resource_attributes: Some(ResourceAttributes {
                            verb: Some(p.verb.clone()),
                            group: Some(p.group.clone()),
                            resource: Some(p.resource.clone()),
                            namespace: p.namespace.clone(),
                            ..ResourceAttributes::default()
                        }),
                        ..SelfSubjectAccessReviewSpec::default()
                    },
                    ..SelfSubjectAccessReview::default()
                };
                let what = format!("access review ({p})");
                let answer = tokio::time::timeout(
                    cluster.timeout(),
                    api.create(&PostParams::default(), &review),
                )
                .await
                .map_err(|_| cluster.timed_out(&what))?
                .map_err(|e| errors::diagnostic(cluster, &what, &e))?;
                let allowed = answer.status.is_some_and(|s| s.allowed);
                Ok((!allowed).then(|| p.clone()))
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut out = Vec::new();
    for a in answers {
        if let Some(p) = a? {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Who the credentials are, when the server answers `SelfSubjectReview` (Kubernetes 1.28+).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Identity {
    pub username: String,
    pub groups: Vec<String>,
}

pub async fn identity(cluster: &Cluster) -> Result<Option<Identity>, Diagnostic> {
    let api: Api<SelfSubjectReview> = Api::all(cluster.client().clone());
    let review = SelfSubjectReview::default();
    let what = "identity review (SelfSubjectReview)";
    let answer = tokio::time::timeout(
        cluster.timeout(),
        api.create(&PostParams::default(), &review),
    )
    .await
    .map_err(|_| cluster.timed_out(what))?;
    match answer {
        Ok(r) => Ok(r.status.and_then(|s| s.user_info).map(|u| Identity {
            username: u.username.unwrap_or_default(),
            groups: u.groups.unwrap_or_default(),
        })),
        // Older servers do not have the API: no identity, not an error.
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(None),
        Err(e) => Err(errors::diagnostic(cluster, what, &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_read_like_kubectl_auth_can_i() {
        assert_eq!(
            Permission::new("create", "apps", "deployments", Some("shop")).to_string(),
            "create deployments.apps in namespace shop"
        );
        assert_eq!(
            Permission::new("list", "", "secrets", None).to_string(),
            "list secrets (cluster-wide)"
        );
    }

    #[test]
    fn a_rollback_needs_what_a_deploy_needs_and_deletes() {
        let d = for_deploy("a");
        let r = for_rollback("a");
        assert!(d.iter().all(|p| r.contains(p)));
        assert!(r.contains(&Permission::new("delete", "apps", "deployments", Some("a"))));
        assert!(for_backup("a").contains(&Permission::new("list", "", "secrets", Some("a"))));
    }
}

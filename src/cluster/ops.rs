//! Generic object operations on any resource type, for the commands that change a cluster
//! (deploy, rollback, restore) and the stores kept in it (revisions): get, list, create,
//! replace with optimistic locking, server-side apply (with dry-run and forced conflicts),
//! delete, and watch. Failures keep the API server's `Status` (reason, code, the per-field
//! causes of a conflict or an invalid object) so callers can explain them.

use futures::{Stream, StreamExt, TryStreamExt};
use kube::Resource;
use kube::api::{
    Api, DeleteParams, DynamicObject, GetParams, ListParams, Patch, PatchParams, PostParams,
    PropagationPolicy, WatchEvent, WatchParams,
};
use serde_json::Value;

use crate::diag::{Code, Diagnostic};

use super::discovery::ResourceType;
use super::{Cluster, errors, retry};

/// One field of a failed write (a field-manager conflict, an invalid value).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Cause {
    pub reason: String,
    pub field: String,
    pub message: String,
}

/// A write the API server refused, as it said it.
#[derive(Clone, Debug)]
pub struct Refusal {
    pub code: u16,
    /// `Conflict`, `AlreadyExists`, `NotFound`, `Invalid`, `Forbidden`, ...
    pub reason: String,
    pub message: String,
    pub causes: Vec<Cause>,
}

/// Why an operation failed: the server refused it (with its reasons), or it could not be
/// made at all (unreachable, timeout, TLS).
#[derive(Clone, Debug)]
pub enum OpError {
    Refused(Refusal),
    Failed(Diagnostic),
}

impl OpError {
    /// The one-line diagnostic.
    pub fn diagnostic(&self, what: &str) -> Diagnostic {
        match self {
            OpError::Failed(d) => d.clone(),
            OpError::Refused(r) => {
                let code = if r.code == 403 {
                    Code::Forbidden
                } else {
                    Code::Cluster
                };
                let mut msg = format!("{what}: {} ({} {})", r.message, r.code, r.reason);
                msg = msg.replace(['\n', '\r'], " ");
                Diagnostic::new(code, msg)
            }
        }
    }

    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            OpError::Refused(r) => Some(r),
            OpError::Failed(_) => None,
        }
    }

    /// The server answered with this HTTP status.
    pub fn is(&self, code: u16) -> bool {
        self.refusal().is_some_and(|r| r.code == code)
    }
}

fn op_error(cluster: &Cluster, what: &str, e: kube::Error) -> OpError {
    match e {
        kube::Error::Api(s) if s.code != 401 => OpError::Refused(Refusal {
            code: s.code,
            reason: s.reason.clone(),
            message: s.message.clone(),
            causes: s
                .details
                .as_ref()
                .map(|d| {
                    d.causes
                        .iter()
                        .map(|c| Cause {
                            reason: c.reason.clone(),
                            field: c.field.clone(),
                            message: c.message.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }),
        e => OpError::Failed(errors::diagnostic(cluster, what, &e)),
    }
}

/// How a server-side apply is made.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    pub field_manager: String,
    pub force: bool,
    pub dry_run: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            field_manager: super::diff::FIELD_MANAGER.to_string(),
            force: false,
            dry_run: false,
        }
    }
}

impl Cluster {
    fn api(&self, t: &ResourceType, namespace: Option<&str>) -> Api<DynamicObject> {
        let ar = t.api_resource();
        match namespace.filter(|_| t.namespaced) {
            Some(ns) => Api::namespaced_with(self.client().clone(), ns, &ar),
            None => Api::all_with(self.client().clone(), &ar),
        }
    }

    fn shown(t: &ResourceType, namespace: Option<&str>, name: &str) -> String {
        match namespace.filter(|_| t.namespaced) {
            Some(ns) => format!("{}/{ns}/{name}", t.kind),
            None => format!("{}/{name}", t.kind),
        }
    }

    /// The resource type serving `api_version` `kind`, from a fresh discovery.
    pub async fn resource_type(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<ResourceType, Diagnostic> {
        let types = super::discovery::discover(self).await?;
        types
            .into_iter()
            .find(|t| t.api_version == api_version && t.kind == kind)
            .ok_or_else(|| {
                Diagnostic::new(
                    Code::InvalidObject,
                    format!(
                        "{api_version} {kind} is not served by {} (context {})",
                        self.server(),
                        self.context()
                    ),
                )
            })
    }

    /// The object, or `None` when it does not exist (retried like every read).
    pub async fn get_object(
        &self,
        t: &ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<Value>, Diagnostic> {
        let what = format!("get {}", Self::shown(t, namespace, name));
        let url = DynamicObject::url_path(&t.api_resource(), namespace.filter(|_| t.namespaced));
        let got = retry::read(self, &what, || {
            let req = kube::core::Request::new(url.clone()).get(name, &GetParams::default());
            async move {
                let req = req.map_err(kube::Error::BuildRequest)?;
                match self.client().request::<Value>(req).await {
                    Ok(v) => Ok(Some(v)),
                    Err(kube::Error::Api(s)) if s.code == 404 => Ok(None),
                    Err(e) => Err(e),
                }
            }
        })
        .await?;
        Ok(got.map(|mut v| {
            typed(&mut v, t);
            v
        }))
    }

    /// Every object of a type (all pages), optionally in one namespace and by label.
    pub async fn list_objects(
        &self,
        t: &ResourceType,
        namespace: Option<&str>,
        labels: Option<&str>,
    ) -> Result<Vec<Value>, Diagnostic> {
        Ok(self.list_versioned(t, namespace, labels).await?.0)
    }

    /// [`Self::list_objects`] with the list's resourceVersion (where a watch starts).
    pub async fn list_versioned(
        &self,
        t: &ResourceType,
        namespace: Option<&str>,
        labels: Option<&str>,
    ) -> Result<(Vec<Value>, String), Diagnostic> {
        self.list_selected(t, namespace, &Selectors::labels(labels))
            .await
    }

    /// Every object of a type matching label and field selectors (all pages), with the
    /// list's resourceVersion.
    pub async fn list_selected(
        &self,
        t: &ResourceType,
        namespace: Option<&str>,
        sel: &Selectors<'_>,
    ) -> Result<(Vec<Value>, String), Diagnostic> {
        self.list_mapped(t, namespace, sel, |v| v).await
    }

    /// [`Self::list_selected`] keeping `map` of each object as its page arrives (a
    /// projection: only one page of whole objects is ever held).
    pub async fn list_mapped<T>(
        &self,
        t: &ResourceType,
        namespace: Option<&str>,
        sel: &Selectors<'_>,
        mut map: impl FnMut(Value) -> T,
    ) -> Result<(Vec<T>, String), Diagnostic> {
        let ns = namespace.filter(|_| t.namespaced);
        let what = match ns {
            Some(n) => format!("list {} in namespace {n}", t.qualified()),
            None => format!("list {}", t.qualified()),
        };
        let url = DynamicObject::url_path(&t.api_resource(), ns);
        let mut out = Vec::new();
        let mut token = String::new();
        loop {
            let mut lp = ListParams::default().limit(500);
            if !token.is_empty() {
                lp = lp.continue_token(&token);
            }
            if let Some(l) = sel.labels {
                lp = lp.labels(l);
            }
            if let Some(f) = sel.fields {
                lp = lp.fields(f);
            }
            let mut page: Value = retry::read(self, &what, || {
                let req = kube::core::Request::new(url.clone()).list(&lp);
                async move {
                    let req = req.map_err(kube::Error::BuildRequest)?;
                    self.client().request::<Value>(req).await
                }
            })
            .await?;
            // The items are moved out of the page, not copied (a page of pods is large).
            if let Some(Value::Array(items)) = page.get_mut("items").map(Value::take) {
                out.extend(items.into_iter().map(|mut v| {
                    typed(&mut v, t);
                    map(v)
                }));
            }
            match page.pointer("/metadata/continue").and_then(Value::as_str) {
                Some(c) if !c.is_empty() => token = c.to_string(),
                _ => {
                    let rv = page
                        .pointer("/metadata/resourceVersion")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    return Ok((out, rv.to_string()));
                }
            }
        }
    }

    /// Creates an object (409 AlreadyExists when it exists: the basis of optimistic
    /// locking for stores kept in the cluster).
    pub async fn create_object(
        &self,
        t: &ResourceType,
        namespace: Option<&str>,
        obj: &Value,
    ) -> Result<Value, OpError> {
        self.write(t, namespace, obj, false).await
    }

    /// Replaces an object; its `metadata.resourceVersion` must still be the live one
    /// (409 Conflict otherwise).
    pub async fn replace_object(
        &self,
        t: &ResourceType,
        namespace: Option<&str>,
        obj: &Value,
    ) -> Result<Value, OpError> {
        self.write(t, namespace, obj, true).await
    }

    /// POST (create) or PUT (replace) of a whole object, within the request timeout.
    async fn write(
        &self,
        t: &ResourceType,
        namespace: Option<&str>,
        obj: &Value,
        replace: bool,
    ) -> Result<Value, OpError> {
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let verb = if replace { "replace" } else { "create" };
        let what = format!("{verb} {}", Self::shown(t, namespace, name));
        let data: DynamicObject = serde_json::from_value(obj.clone()).map_err(|e| {
            OpError::Failed(Diagnostic::new(Code::InvalidObject, format!("{what}: {e}")))
        })?;
        let api = self.api(t, namespace);
        let pp = PostParams::default();
        let call = async {
            if replace {
                api.replace(name, &pp, &data).await
            } else {
                api.create(&pp, &data).await
            }
        };
        let r = tokio::time::timeout(self.timeout(), call)
            .await
            .map_err(|_| OpError::Failed(self.timed_out(&what)))?;
        r.map(|o| to_value(o, t))
            .map_err(|e| op_error(self, &what, e))
    }

    /// Server-side apply of `obj` (its namespace set by the caller for namespaced types).
    pub async fn apply_object(
        &self,
        t: &ResourceType,
        namespace: Option<&str>,
        obj: &Value,
        opts: &ApplyOptions,
    ) -> Result<Value, OpError> {
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let verb = if opts.dry_run {
            "dry-run apply"
        } else {
            "apply"
        };
        let what = format!("{verb} {}", Self::shown(t, namespace, name));
        let mut params = PatchParams::apply(&opts.field_manager);
        if opts.force {
            params = params.force();
        }
        if opts.dry_run {
            params = params.dry_run();
        }
        let r = tokio::time::timeout(
            self.timeout(),
            self.api(t, namespace)
                .patch(name, &params, &Patch::Apply(obj)),
        )
        .await
        .map_err(|_| OpError::Failed(self.timed_out(&what)))?;
        r.map(|o| to_value(o, t))
            .map_err(|e| op_error(self, &what, e))
    }

    /// Deletes an object (background propagation; a missing object is not an error).
    pub async fn delete_object(
        &self,
        t: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        dry_run: bool,
    ) -> Result<(), OpError> {
        let what = format!("delete {}", Self::shown(t, namespace, name));
        let mut dp = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            ..DeleteParams::default()
        };
        if dry_run {
            dp = dp.dry_run();
        }
        let r = tokio::time::timeout(self.timeout(), self.api(t, namespace).delete(name, &dp))
            .await
            .map_err(|_| OpError::Failed(self.timed_out(&what)))?;
        match r {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(op_error(self, &what, e)),
        }
    }

    /// Changes of one object as a watch stream (ADDED/MODIFIED objects; `None` for
    /// DELETED), from now on. The stream ends when the server closes it (after
    /// `timeout_secs`); callers re-open it.
    pub async fn watch_object(
        &self,
        t: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        timeout_secs: u32,
    ) -> Result<impl Stream<Item = Result<Option<Value>, Diagnostic>> + use<'_>, Diagnostic> {
        let what = format!("watch {}", Self::shown(t, namespace, name));
        let wp = WatchParams::default()
            .fields(&format!("metadata.name={name}"))
            .timeout(timeout_secs);
        let api = self.api(t, namespace);
        let stream = tokio::time::timeout(self.timeout(), api.watch(&wp, "0"))
            .await
            .map_err(|_| self.timed_out(&what))?
            .map_err(|e| errors::diagnostic(self, &what, &e))?;
        let t = t.clone();
        let what2 = what.clone();
        Ok(stream
            .map_err(move |e| errors::diagnostic(self, &what2, &e))
            .filter_map(move |ev| {
                let t = t.clone();
                let what = what.clone();
                async move {
                    match ev {
                        Ok(WatchEvent::Added(o)) | Ok(WatchEvent::Modified(o)) => {
                            Some(Ok(Some(to_value(o, &t))))
                        }
                        Ok(WatchEvent::Deleted(_)) => Some(Ok(None)),
                        Ok(WatchEvent::Bookmark(_)) => None,
                        Ok(WatchEvent::Error(e)) => Some(Err(Diagnostic::new(
                            Code::Cluster,
                            format!("{what}: {} ({})", e.message, e.code),
                        ))),
                        Err(d) => Some(Err(d)),
                    }
                }
            }))
    }
}

/// One change of a watched resource type.
#[derive(Debug)]
pub enum Change {
    /// Added or modified: the whole object.
    Put(Value),
    /// Deleted: its last state.
    Gone(Value),
    /// Nothing changed up to this resourceVersion.
    Bookmark(String),
    /// The resourceVersion is too old (410 Gone): list again.
    Expired,
}

impl Cluster {
    /// Changes of every object of a type after `resource_version`, as a watch stream that
    /// the server ends after `timeout_secs` (callers re-open it from the last version seen).
    pub async fn watch_type(
        &self,
        t: &ResourceType,
        resource_version: &str,
        timeout_secs: u32,
    ) -> Result<impl Stream<Item = Result<Change, Diagnostic>> + use<'_>, Diagnostic> {
        self.watch_selected(
            t,
            None,
            resource_version,
            timeout_secs,
            &Selectors::default(),
        )
        .await
    }

    /// [`Self::watch_type`] of the objects matching label and field selectors, in one
    /// namespace or all.
    pub async fn watch_selected(
        &self,
        t: &ResourceType,
        namespace: Option<&str>,
        resource_version: &str,
        timeout_secs: u32,
        sel: &Selectors<'_>,
    ) -> Result<impl Stream<Item = Result<Change, Diagnostic>> + use<'_>, Diagnostic> {
        let what = format!("watch {}", t.qualified());
        let mut wp = WatchParams {
            bookmarks: true,
            ..WatchParams::default().timeout(timeout_secs)
        };
        if let Some(l) = sel.labels {
            wp = wp.labels(l);
        }
        if let Some(f) = sel.fields {
            wp = wp.fields(f);
        }
        let api = self.api(t, namespace);
        let stream = tokio::time::timeout(self.timeout(), api.watch(&wp, resource_version))
            .await
            .map_err(|_| self.timed_out(&what))?
            .map_err(|e| errors::diagnostic(self, &what, &e))?;
        let t = t.clone();
        let what2 = what.clone();
        Ok(stream
            .map_err(move |e| errors::diagnostic(self, &what2, &e))
            .map(move |ev| match ev {
                Ok(WatchEvent::Added(o)) | Ok(WatchEvent::Modified(o)) => {
                    Ok(Change::Put(to_value(o, &t)))
                }
                Ok(WatchEvent::Deleted(o)) => Ok(Change::Gone(to_value(o, &t))),
                Ok(WatchEvent::Bookmark(b)) => Ok(Change::Bookmark(b.metadata.resource_version)),
                Ok(WatchEvent::Error(e)) if e.code == 410 => Ok(Change::Expired),
                Ok(WatchEvent::Error(e)) => Err(Diagnostic::new(
                    Code::Cluster,
                    format!("{what}: {} ({})", e.message, e.code),
                )),
                Err(d) => Err(d),
            }))
    }
}

/// Label and field selectors of a list or a watch (`labelSelector`, `fieldSelector`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Selectors<'a> {
    pub labels: Option<&'a str>,
    pub fields: Option<&'a str>,
}

impl<'a> Selectors<'a> {
    pub fn labels(labels: Option<&'a str>) -> Selectors<'a> {
        Selectors {
            labels,
            fields: None,
        }
    }

    pub fn fields(fields: Option<&'a str>) -> Selectors<'a> {
        Selectors {
            labels: None,
            fields,
        }
    }
}

/// Sets `apiVersion`/`kind`, which list items and some answers leave out.
fn typed(v: &mut Value, t: &ResourceType) {
    if let Some(m) = v.as_object_mut() {
        m.entry("apiVersion")
            .or_insert_with(|| Value::String(t.api_version.clone()));
        m.entry("kind")
            .or_insert_with(|| Value::String(t.kind.clone()));
    }
}

fn to_value(o: DynamicObject, t: &ResourceType) -> Value {
    let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
    typed(&mut v, t);
    v
}

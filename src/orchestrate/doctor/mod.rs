//! `confgate doctor`: before a pipeline fails half-way, one look at everything the commands
//! depend on — the kubeconfig and the cluster, the permissions scan, deploy, rollback and
//! backup need (the same `SelfSubjectAccessReview` pre-flight `cluster check` runs), the
//! backup master key, a remote backup store, the monitoring endpoints named in the
//! settings, the state directory and the policies. Each check is one [`Check`]: ok,
//! missing (a command will fail), warning (works, but not as it should) or skipped, with a
//! hint saying how to fix it. The HTTP probes of the monitoring endpoints are
//! `endpoints.rs`.
//!
//! Secrets stay secret: the key is reported by its source and fingerprint, a webhook route
//! by its number and kind (its URL is the credential), never by value.

use std::path::Path;

use serde::Serialize;

use crate::backup::KeySource;
use crate::cluster::{self, ConnectOptions, access, discovery};
use crate::diag::Code;

mod endpoints;

pub use endpoints::{Endpoint, endpoint_checks, endpoints};

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Ok,
    /// A command that needs this will fail.
    Missing,
    /// Works, but not as it should (or not for every command).
    Warning,
    /// Not checked (not configured, or what it depends on is missing).
    Skipped,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Missing => "missing",
            State::Warning => "warning",
            State::Skipped => "skipped",
        }
    }
}

/// One check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    /// What was checked (`cluster`, `permissions:deploy`, `backup-key`, ...).
    pub name: String,
    pub state: State,
    /// What was found, one line.
    pub detail: String,
    /// How to fix it (for missing and warning).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The permissions not granted (`permissions:*` checks only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_permissions: Vec<String>,
}

impl Check {
    pub(crate) fn new(name: &str, state: State, detail: impl Into<String>) -> Check {
        Check {
            name: name.to_string(),
            state,
            detail: detail.into(),
            fix: None,
            missing_permissions: Vec::new(),
        }
    }

    pub(crate) fn fix(mut self, hint: impl Into<String>) -> Check {
        self.fix = Some(hint.into());
        self
    }
}

/// True when a check says a command will fail (exit 1).
pub fn anything_missing(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.state == State::Missing)
}

/// The kubeconfig, the cluster and the permissions each command needs in `namespace`
/// (default: the context's). Never an error: what fails is a check.
pub async fn cluster_checks(opts: &ConnectOptions, namespace: Option<&str>) -> Vec<Check> {
    let mut out = Vec::new();
    let skipped = |why: &str| {
        ["scan", "deploy", "rollback", "backup"]
            .iter()
            .map(|w| {
                Check::new(
                    &format!("permissions:{w}"),
                    State::Skipped,
                    format!("not checked: {why}"),
                )
            })
            .collect::<Vec<_>>()
    };
    let loaded = match cluster::connect::read_kubeconfig(&opts.source) {
        Ok(l) => l,
        Err(e) => {
            out.push(
                Check::new("kubeconfig", State::Missing, e.to_string()).fix(
                    "give one with --kubeconfig FILE or CONFGATE_KUBECONFIG (or KUBECONFIG), or run inside a cluster with a service account",
                ),
            );
            out.push(Check::new(
                "cluster",
                State::Skipped,
                "not checked: no kubeconfig",
            ));
            out.extend(skipped("no kubeconfig"));
            return out;
        }
    };
    let context = match cluster::connect::contexts(&loaded, opts) {
        Ok(names) => match names.as_slice() {
            [one] => one.clone(),
            _ => {
                out.push(
                    Check::new(
                        "kubeconfig",
                        State::Missing,
                        format!("{} contexts selected; doctor checks one", names.len()),
                    )
                    .fix("choose one with --context NAME"),
                );
                return out;
            }
        },
        Err(e) => {
            out.push(
                Check::new("kubeconfig", State::Missing, e.to_string())
                    .fix("choose an existing context with --context NAME (kubectl config get-contexts lists them)"),
            );
            out.extend(skipped("no usable context"));
            return out;
        }
    };
    out.push(Check::new(
        "kubeconfig",
        State::Ok,
        format!("{}, context {context}", opts.source.shown()),
    ));
    let c = match cluster::connect::connect(&loaded, &context, opts.request_timeout).await {
        Ok(c) => c,
        Err(e) => {
            let fix = if e.code == Code::Kubeconfig {
                "fix the context's credentials in the kubeconfig (kubectl --context CONTEXT get ns shows the same error)"
            } else {
                "check the server address, the network path and the credentials (kubectl cluster-info); raise --request-timeout for a slow link"
            };
            out.push(Check::new("cluster", State::Missing, format!("not reachable: {e}")).fix(fix));
            out.extend(skipped("the cluster is not reachable"));
            return out;
        }
    };
    // `connect` already asked /version; ask again for the numbers (cheap, bounded).
    match c.version().await {
        Ok(v) => out.push(Check::new(
            "cluster",
            State::Ok,
            format!(
                "{} (context {}) answers, Kubernetes {}",
                c.server(),
                c.context(),
                v.git_version
            ),
        )),
        Err(e) => {
            out.push(
                Check::new("cluster", State::Missing, e.to_string())
                    .fix("check the server address and the network path (kubectl version)"),
            );
            out.extend(skipped("the cluster is not reachable"));
            return out;
        }
    }
    let who = match access::identity(&c).await {
        Ok(Some(i)) => format!("user {}", i.username),
        _ => "these credentials".to_string(),
    };
    let ns = namespace.unwrap_or(c.default_namespace()).to_string();
    let types = match discovery::discover(&c).await {
        Ok(t) => t,
        Err(e) => {
            out.push(
                Check::new("discovery", State::Missing, e.to_string())
                    .fix("the credentials must be allowed to read the API discovery documents"),
            );
            out.extend(skipped("discovery failed"));
            return out;
        }
    };
    let (readable, _) = discovery::select(&types, &[], &[]);
    for (what, needed) in access::by_command(&readable, &ns) {
        out.push(match access::missing(&c, &needed).await {
            Ok(m) if m.is_empty() => Check::new(
                &format!("permissions:{what}"),
                State::Ok,
                format!("{} permissions granted to {who}", needed.len()),
            ),
            Ok(m) => {
                let mut check = permissions_missing(what, &who, &ns, &m);
                // A scan reads what it may: without every list right it is partial, not
                // impossible.
                if what == "scan" {
                    check.state = State::Warning;
                }
                check
            }
            Err(e) => Check::new(
                &format!("permissions:{what}"),
                State::Missing,
                format!("cannot ask: {e}"),
            )
            .fix("allow create on selfsubjectaccessreviews.authorization.k8s.io"),
        });
    }
    out
}

fn permissions_missing(what: &str, who: &str, ns: &str, missing: &[access::Permission]) -> Check {
    const SHOWN: usize = 4;
    let mut list: Vec<String> = missing.iter().take(SHOWN).map(|p| p.to_string()).collect();
    if missing.len() > SHOWN {
        list.push(format!("and {} more", missing.len() - SHOWN));
    }
    let mut c = Check::new(
        &format!("permissions:{what}"),
        State::Missing,
        format!(
            "{what} needs {} permissions {who} lacks: {}",
            missing.len(),
            list.join(", ")
        ),
    )
    .fix(format!(
        "grant them with a Role and RoleBinding in namespace {ns} (a ClusterRole for the cluster-wide ones); `confgate cluster check -n {ns}` lists them all"
    ));
    c.missing_permissions = missing.iter().map(|p| p.to_string()).collect();
    c
}

/// The backup master key: where it comes from, whether it reads as a 32-byte key. Without
/// any source, a warning (backups, restores and the data-loss drill need one); a source
/// that does not give a key is missing.
pub fn key_check(key: &KeySource) -> Check {
    let source = if key.value.as_deref().is_some_and(|v| !v.trim().is_empty()) {
        "CONFGATE_BACKUP_KEY".to_string()
    } else if let Some(f) = &key.file {
        format!("key file {}", f.display())
    } else if key.command.is_some() {
        "[backup] key-command".to_string()
    } else {
        return Check::new(
            "backup-key",
            State::Warning,
            "no backup master key: backup, restore and disaster-test data-loss need one",
        )
        .fix("make one with `confgate backup keygen --key-output FILE` (mode 0600) and set CONFGATE_BACKUP_KEY_FILE=FILE or [backup] key-file");
    };
    match key.master() {
        Ok(k) => {
            let mut c = Check::new(
                "backup-key",
                State::Ok,
                format!("from {source}, fingerprint {}", k.fingerprint()),
            );
            if let Some(f) = key.file.as_deref().filter(|_| key.value.is_none())
                && let Some(mode) = loose_mode(f)
            {
                c.state = State::Warning;
                c.detail
                    .push_str(&format!("; the file is readable by others (mode {mode:o})"));
                c = c.fix(format!("chmod 600 {}", f.display()));
            }
            c
        }
        Err(e) => {
            let fix = match &key.file {
                Some(f) if !f.exists() => format!(
                    "create it with `confgate backup keygen --key-output {}`, or point CONFGATE_BACKUP_KEY_FILE / [backup] key-file at the existing key",
                    f.display()
                ),
                Some(_) => "the file must hold the 32-byte key as 64 hex digits or base64 (what `confgate backup keygen` writes), and be readable by this user".to_string(),
                None => "give a 32-byte key as 64 hex digits or base64 (`confgate backup keygen` makes one)".to_string(),
            };
            Check::new("backup-key", State::Missing, e.to_string()).fix(fix)
        }
    }
}

/// The permission bits others have on `path`, when they can read it.
#[cfg(unix)]
fn loose_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o044 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn loose_mode(_: &Path) -> Option<u32> {
    None
}

/// A remote backup store (`s3://`, `az://`, `gs://`) answers a listing with these
/// credentials. A local directory is the state-directory check's business.
pub async fn store_check(url: &str, base: &Path, opts: &crate::backup::StoreOptions) -> Check {
    if !url.contains("://") || url.starts_with("file://") {
        return Check::new("backup-store", State::Ok, format!("local directory {url}"));
    }
    let store = match crate::backup::Store::open(url, base, opts) {
        Ok(s) => s,
        Err(e) => {
            return Check::new("backup-store", State::Missing, e.to_string())
                .fix("check [backup] store and endpoint in confgate.toml (s3://bucket/prefix, az://container/prefix, gs://bucket/prefix)");
        }
    };
    match store.list().await {
        Ok(l) => Check::new(
            "backup-store",
            State::Ok,
            format!("{} reachable, {} backups", store.shown, l.len()),
        ),
        Err(e) => Check::new(
            "backup-store",
            State::Missing,
            format!("{} cannot be listed: {e}", store.shown),
        )
        .fix("set the provider's credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AZURE_STORAGE_ACCOUNT_NAME/AZURE_STORAGE_ACCOUNT_KEY, GOOGLE_SERVICE_ACCOUNT) and check the endpoint and the network path"),
    }
}

/// The state directory (revisions' local state, backups' catalogue, monitor history) is
/// writable, or can be created.
pub fn state_dir_check(dir: &Path) -> Check {
    let shown = dir.display().to_string();
    let Some(existing) = dir.ancestors().find(|a| a.exists()) else {
        return Check::new(
            "state-dir",
            State::Missing,
            format!("{shown}: no parent exists"),
        )
        .fix("set CONFGATE_STATE_DIR or [backup] state-dir to a writable directory");
    };
    if !existing.is_dir() {
        return Check::new(
            "state-dir",
            State::Missing,
            format!("{shown}: {} is not a directory", existing.display()),
        )
        .fix("set CONFGATE_STATE_DIR or [backup] state-dir to a writable directory");
    }
    match tempfile::Builder::new()
        .prefix(".confgate-doctor-")
        .tempfile_in(existing)
    {
        Ok(_) if existing == dir => Check::new("state-dir", State::Ok, format!("{shown} writable")),
        Ok(_) => Check::new(
            "state-dir",
            State::Ok,
            format!("{shown} does not exist yet; it can be created"),
        ),
        Err(e) => Check::new(
            "state-dir",
            State::Missing,
            format!("{shown}: cannot write in {}: {e}", existing.display()),
        )
        .fix("make it writable for this user, or set CONFGATE_STATE_DIR / [backup] state-dir elsewhere"),
    }
}

/// The built-in rules and the user policies load and compile.
pub fn policies_check(scan: &crate::scan::ScanOptions) -> Check {
    let user = scan
        .custom
        .as_ref()
        .map(|c| c.policy_paths.len())
        .unwrap_or(0);
    match crate::scan::Scanner::new(scan) {
        Ok(_) => Check::new(
            "policies",
            State::Ok,
            if user == 0 {
                "the built-in rules load (no user policies configured)".to_string()
            } else {
                format!("the built-in rules and {user} user policy paths load")
            },
        ),
        Err(e) => Check::new("policies", State::Missing, e.to_string())
            .fix("`confgate policy test` shows the failing policy; fix it or remove it from [scan] policy"),
    }
}

/// One line per check: `ok       name: detail (fix: ...)`.
pub fn text(checks: &[Check]) -> String {
    let e = |s: &str| crate::report::escape::control(s).into_owned();
    let mut t = String::new();
    for c in checks {
        t.push_str(&format!(
            "{:<8} {}: {}",
            c.state.as_str(),
            e(&c.name),
            e(&c.detail.replace('\n', " "))
        ));
        if let Some(f) = &c.fix
            && c.state != State::Ok
        {
            t.push_str(&format!(" — fix: {}", e(f)));
        }
        t.push('\n');
    }
    let missing = checks.iter().filter(|c| c.state == State::Missing).count();
    let warnings = checks.iter().filter(|c| c.state == State::Warning).count();
    t.push_str(&if missing == 0 {
        format!("doctor: everything the commands need is there ({warnings} warnings)\n")
    } else {
        format!("doctor: {missing} missing, {warnings} warnings\n")
    });
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_missing_check_fails_the_doctor() {
        let ok = Check::new("a", State::Ok, "");
        let warn = Check::new("b", State::Warning, "");
        assert!(!anything_missing(&[ok.clone(), warn]));
        assert!(anything_missing(&[ok, Check::new("c", State::Missing, "")]));
    }

    #[test]
    fn no_key_source_is_a_warning_and_a_missing_file_is_missing_with_a_hint() {
        let none = key_check(&KeySource::default());
        assert_eq!(none.state, State::Warning);
        assert!(none.fix.unwrap().contains("backup keygen"));
        let gone = key_check(&KeySource {
            file: Some("/nonexistent/confgate.key".into()),
            ..KeySource::default()
        });
        assert_eq!(gone.state, State::Missing);
        assert!(
            gone.detail.contains("/nonexistent/confgate.key"),
            "{gone:?}"
        );
        assert!(
            gone.fix
                .unwrap()
                .contains("keygen --key-output /nonexistent/confgate.key")
        );
    }

    #[test]
    fn a_key_of_the_wrong_length_is_missing_and_its_value_is_not_shown() {
        let c = key_check(&KeySource {
            value: Some("abcdef0123".into()),
            ..KeySource::default()
        });
        assert_eq!(c.state, State::Missing);
        assert!(!c.detail.contains("abcdef0123"), "{c:?}");
    }
}

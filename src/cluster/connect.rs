//! Connecting: which kubeconfig, which contexts, and a client with a time limit on every
//! call. Nothing here reads the environment: `settings` resolves `--kubeconfig`,
//! `KUBECONFIG` and `~/.kube/config` into a [`KubeconfigSource`], so a test (or a library
//! caller) decides exactly which cluster is reached.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::diag::{Code, Diagnostic};

use super::{Cluster, errors};

/// Where the kubeconfig comes from, resolved the way kubectl resolves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KubeconfigSource {
    /// `--kubeconfig FILE`: this file only; it must exist.
    Explicit(PathBuf),
    /// `KUBECONFIG`: a list of files merged (the first to set a value wins); files that do
    /// not exist are skipped, as kubectl skips them.
    List(Vec<PathBuf>),
    /// `~/.kube/config` when it exists, else the in-cluster service account.
    Default(Option<PathBuf>),
}

impl KubeconfigSource {
    /// kubectl's order: `--kubeconfig`, else `KUBECONFIG` (split like `PATH`), else the
    /// home directory's `.kube/config`.
    pub fn resolve(
        flag: Option<&Path>,
        env: Option<&std::ffi::OsStr>,
        home: Option<&Path>,
    ) -> KubeconfigSource {
        if let Some(f) = flag {
            return KubeconfigSource::Explicit(f.to_path_buf());
        }
        if let Some(v) = env {
            let paths: Vec<PathBuf> = std::env::split_paths(v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect();
            if !paths.is_empty() {
                return KubeconfigSource::List(paths);
            }
        }
        KubeconfigSource::Default(home.map(|h| h.join(".kube").join("config")))
    }

    /// The file named in messages.
    pub fn shown(&self) -> String {
        match self {
            KubeconfigSource::Explicit(p) => p.display().to_string(),
            KubeconfigSource::List(ps) => ps
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(":"),
            KubeconfigSource::Default(Some(p)) => p.display().to_string(),
            KubeconfigSource::Default(None) => "~/.kube/config".to_string(),
        }
    }
}

/// How to connect.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub source: KubeconfigSource,
    /// `--context` (repeatable); empty = the current context.
    pub contexts: Vec<String>,
    /// `--all-contexts`: every context of the kubeconfig.
    pub all_contexts: bool,
    /// Limit on connecting and on every request (`--request-timeout`, default 10 s).
    pub request_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            source: KubeconfigSource::Default(None),
            contexts: Vec::new(),
            all_contexts: false,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// The context name used for the in-cluster service account.
pub const IN_CLUSTER: &str = "in-cluster";

/// A kubeconfig as read, or the in-cluster service account when there is none.
#[derive(Clone, Debug)]
pub enum Loaded {
    File {
        config: Box<Kubeconfig>,
        shown: String,
    },
    InCluster,
}

/// Reads (and for a list, merges) the kubeconfig.
pub fn read_kubeconfig(source: &KubeconfigSource) -> Result<Loaded, Diagnostic> {
    let read = |p: &Path| {
        Kubeconfig::read_from(p).map_err(|e| {
            Diagnostic::new(
                Code::Kubeconfig,
                format!("cannot use kubeconfig: {}", errors::chain(&e)),
            )
            .file(p.display().to_string())
        })
    };
    let shown = source.shown();
    match source {
        KubeconfigSource::Explicit(p) => {
            if !p.is_file() {
                return Err(Diagnostic::new(
                    Code::Kubeconfig,
                    "kubeconfig not found (--kubeconfig)".to_string(),
                )
                .file(p.display().to_string()));
            }
            Ok(Loaded::File {
                config: Box::new(read(p)?),
                shown,
            })
        }
        KubeconfigSource::List(paths) => {
            let mut merged: Option<Kubeconfig> = None;
            for p in paths.iter().filter(|p| p.is_file()) {
                let next = read(p)?;
                merged = Some(match merged {
                    None => next,
                    Some(m) => m.merge(next).map_err(|e| {
                        Diagnostic::new(
                            Code::Kubeconfig,
                            format!("cannot merge kubeconfig: {}", errors::chain(&e)),
                        )
                        .file(p.display().to_string())
                    })?,
                });
            }
            merged
                .map(|config| Loaded::File {
                    config: Box::new(config),
                    shown,
                })
                .ok_or_else(|| {
                    Diagnostic::new(
                        Code::Kubeconfig,
                        "none of the files in KUBECONFIG exists".to_string(),
                    )
                    .file(source.shown())
                })
        }
        KubeconfigSource::Default(Some(p)) if p.is_file() => Ok(Loaded::File {
            config: Box::new(read(p)?),
            shown,
        }),
        KubeconfigSource::Default(_) => {
            if in_cluster_available() {
                Ok(Loaded::InCluster)
            } else {
                Err(Diagnostic::new(
                    Code::Kubeconfig,
                    "no kubeconfig (--kubeconfig, KUBECONFIG or ~/.kube/config) and not running in a cluster"
                        .to_string(),
                ))
            }
        }
    }
}

fn in_cluster_available() -> bool {
    std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
        && Path::new("/var/run/secrets/kubernetes.io/serviceaccount/token").is_file()
}

/// The contexts a command works on: `--all-contexts`, the `--context`s given (each must
/// exist), or the current context.
pub fn contexts(loaded: &Loaded, opts: &ConnectOptions) -> Result<Vec<String>, Diagnostic> {
    let Loaded::File { config, shown } = loaded else {
        if opts.contexts.iter().any(|c| c != IN_CLUSTER) || opts.all_contexts {
            return Err(Diagnostic::new(
                Code::Kubeconfig,
                "--context and --all-contexts need a kubeconfig; only the in-cluster service account is available".to_string(),
            ));
        }
        return Ok(vec![IN_CLUSTER.to_string()]);
    };
    let known: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
    if opts.all_contexts {
        if known.is_empty() {
            return Err(Diagnostic::new(
                Code::Kubeconfig,
                "kubeconfig has no contexts".to_string(),
            )
            .file(shown.clone()));
        }
        return Ok(known.iter().map(|s| s.to_string()).collect());
    }
    if opts.contexts.is_empty() {
        return match &config.current_context {
            Some(c) if !c.is_empty() => Ok(vec![c.clone()]),
            _ => Err(Diagnostic::new(
                Code::Kubeconfig,
                format!(
                    "kubeconfig has no current-context; choose one with --context ({})",
                    list(&known)
                ),
            )
            .file(shown.clone())),
        };
    }
    let mut out = Vec::new();
    for c in &opts.contexts {
        if !known.contains(&c.as_str()) {
            return Err(Diagnostic::new(
                Code::Kubeconfig,
                format!("no context {c:?} in the kubeconfig ({})", list(&known)),
            )
            .file(shown.clone()));
        }
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    Ok(out)
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "it has none".to_string()
    } else {
        format!("known: {}", names.join(", "))
    }
}

/// Connects to one context and checks that the API server answers (`/version`) within the
/// request timeout. Unreachable servers, rejected credentials and TLS failures come back as
/// one line naming the server and the context.
pub async fn connect(
    loaded: &Loaded,
    context: &str,
    timeout: Duration,
) -> Result<Cluster, Diagnostic> {
    let mut config = match loaded {
        Loaded::InCluster => kube::Config::incluster().map_err(|e| {
            Diagnostic::new(
                Code::Kubeconfig,
                format!("in-cluster configuration: {}", errors::chain(&e)),
            )
        })?,
        Loaded::File { config, shown } => {
            let options = KubeConfigOptions {
                context: Some(context.to_string()),
                cluster: None,
                user: None,
            };
            // Exec credential plugins run here (kube's loader), bounded like every call.
            let built = tokio::time::timeout(
                timeout,
                kube::Config::from_custom_kubeconfig((**config).clone(), &options),
            )
            .await
            .map_err(|_| {
                Diagnostic::new(
                    Code::Kubeconfig,
                    format!(
                        "context {context}: the credentials did not arrive within {} s (exec plugin?)",
                        timeout.as_secs_f64()
                    ),
                )
                .file(shown.clone())
            })?;
            built.map_err(|e| {
                Diagnostic::new(
                    Code::Kubeconfig,
                    format!("context {context}: {}", errors::chain(&e)),
                )
                .file(shown.clone())
            })?
        }
    };
    config.connect_timeout = Some(timeout);
    config.read_timeout = Some(timeout);
    config.write_timeout = Some(timeout);
    config.reset_reader_on_write = true;
    // Retries are ours (bounded, with backoff, reads only): see `retry`.
    config.default_retry = false;
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let namespace = config.default_namespace.clone();
    let client = kube::Client::try_from(config).map_err(|e| {
        Diagnostic::new(
            Code::Cluster,
            format!(
                "cannot set up a client for {server} (context {context}): {}",
                errors::chain(&e)
            ),
        )
    })?;
    let cluster = Cluster {
        client,
        context: context.to_string(),
        server,
        namespace,
        timeout,
    };
    cluster.version().await?;
    Ok(cluster)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_beats_the_variable_and_the_variable_beats_home() {
        let home = Path::new("/home/u");
        assert_eq!(
            KubeconfigSource::resolve(Some(Path::new("k")), Some("a:b".as_ref()), Some(home)),
            KubeconfigSource::Explicit(PathBuf::from("k"))
        );
        assert_eq!(
            KubeconfigSource::resolve(None, Some("a::b".as_ref()), Some(home)),
            KubeconfigSource::List(vec![PathBuf::from("a"), PathBuf::from("b")])
        );
        assert_eq!(
            KubeconfigSource::resolve(None, Some("".as_ref()), Some(home)),
            KubeconfigSource::Default(Some(PathBuf::from("/home/u/.kube/config")))
        );
    }

    fn kubeconfig(text: &str) -> Loaded {
        match Kubeconfig::from_yaml(text) {
            Ok(config) => Loaded::File {
                config: Box::new(config),
                shown: "kc".into(),
            },
            Err(e) => panic!("{e}"),
        }
    }

    const TWO: &str = "apiVersion: v1\nkind: Config\ncurrent-context: a\nclusters: []\nusers: []\ncontexts:\n- name: a\n  context: {cluster: x, user: y}\n- name: b\n  context: {cluster: x, user: y}\n";

    #[test]
    fn contexts_are_the_current_one_the_chosen_ones_or_all() {
        let k = kubeconfig(TWO);
        let mut o = ConnectOptions::default();
        assert_eq!(contexts(&k, &o).ok(), Some(vec!["a".to_string()]));
        o.contexts = vec!["b".into(), "a".into(), "b".into()];
        assert_eq!(
            contexts(&k, &o).ok(),
            Some(vec!["b".to_string(), "a".to_string()])
        );
        o.contexts = vec!["c".into()];
        let e = contexts(&k, &o)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("no context \"c\"") && e.contains("known: a, b"),
            "{e}"
        );
        o.contexts.clear();
        o.all_contexts = true;
        assert_eq!(contexts(&k, &o).ok().map(|c| c.len()), Some(2));
    }

    #[test]
    fn a_missing_explicit_kubeconfig_is_an_error_naming_it() {
        let e = read_kubeconfig(&KubeconfigSource::Explicit("/nonexistent/kc".into()))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("/nonexistent/kc"), "{e}");
    }
}

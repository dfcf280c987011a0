//! The options of every cluster command: how to connect (`--kubeconfig`, `--context`,
//! `--all-contexts`, `--request-timeout`) and what to read (`--namespace`,
//! `--all-namespaces`, `--kinds`, `--exclude-kinds`, `--selector`, `--field-selector`,
//! `--include-owned`), each also from `CONFGATE_*` and `[cluster]` in `confgate.toml`.
//! `KUBECONFIG` and the home directory are read here, kubectl's way, and nowhere else.

use std::path::PathBuf;

use clap::Args;

use crate::cluster::{ConnectOptions, KubeconfigSource, ReadOptions};
use crate::diag::Diagnostic;

use super::file::ClusterSection;
use super::{Settings, seconds};

/// How to reach the cluster.
#[derive(Args, Debug, Clone, Default)]
pub struct ConnectFlags {
    /// kubeconfig file (default: KUBECONFIG, else ~/.kube/config, else the in-cluster
    /// service account).
    #[arg(long, env = "CONFGATE_KUBECONFIG", value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// kubeconfig context (repeatable: several clusters, read concurrently).
    #[arg(
        long,
        env = "CONFGATE_CONTEXT",
        value_delimiter = ',',
        value_name = "NAME"
    )]
    pub context: Vec<String>,
    /// Every context of the kubeconfig.
    #[arg(long, env = "CONFGATE_ALL_CONTEXTS")]
    pub all_contexts: bool,
    /// Seconds connecting and each request may take (default 10).
    #[arg(long, env = "CONFGATE_REQUEST_TIMEOUT", value_name = "SECONDS")]
    pub request_timeout: Option<f64>,
}

/// What to read from the cluster.
#[derive(Args, Debug, Clone, Default)]
pub struct ReadFlags {
    /// Only this namespace (repeatable); cluster-scoped objects are then limited to the
    /// Namespaces named.
    #[arg(
        long,
        short = 'n',
        env = "CONFGATE_NAMESPACE",
        value_delimiter = ',',
        value_name = "NS"
    )]
    pub namespace: Vec<String>,
    /// Every namespace and the cluster-scoped objects (the default; overrides `namespace`
    /// from confgate.toml).
    #[arg(
        long,
        short = 'A',
        env = "CONFGATE_ALL_NAMESPACES",
        conflicts_with = "namespace"
    )]
    pub all_namespaces: bool,
    /// Only these kinds (`Deployment`, `deployments`, `widgets.example.com`).
    #[arg(
        long,
        env = "CONFGATE_KINDS",
        value_delimiter = ',',
        value_name = "KIND"
    )]
    pub kinds: Vec<String>,
    /// Leave out these kinds.
    #[arg(
        long,
        env = "CONFGATE_EXCLUDE_KINDS",
        value_delimiter = ',',
        value_name = "KIND"
    )]
    pub exclude_kinds: Vec<String>,
    /// Label selector (`app=web,tier!=db`).
    #[arg(long, short = 'l', env = "CONFGATE_SELECTOR", value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Field selector (`metadata.name=web`).
    #[arg(long, env = "CONFGATE_FIELD_SELECTOR", value_name = "SELECTOR")]
    pub field_selector: Option<String>,
    /// Also read objects a controller made from a scanned template (a Deployment's
    /// ReplicaSets and Pods, a CronJob's Jobs).
    #[arg(long, env = "CONFGATE_INCLUDE_OWNED")]
    pub include_owned: bool,
}

fn or_vec(flag: &[String], file: Option<&Vec<String>>) -> Vec<String> {
    if flag.is_empty() {
        file.cloned().unwrap_or_default()
    } else {
        flag.to_vec()
    }
}

impl Settings {
    fn cluster_section(&self) -> ClusterSection {
        self.file.cluster.clone().unwrap_or_default()
    }

    /// How cluster commands connect: flag > `CONFGATE_*` > `[cluster]` > kubectl's
    /// defaults (`KUBECONFIG`, `~/.kube/config`, in-cluster).
    pub fn connect(&self, flags: &ConnectFlags) -> Result<ConnectOptions, Diagnostic> {
        let file = self.cluster_section();
        let explicit = flags
            .kubeconfig
            .clone()
            .map(|p| self.cwd.join(p))
            .or_else(|| file.kubeconfig.as_ref().map(|p| self.dir_abs().join(p)));
        let env = std::env::var_os("KUBECONFIG");
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let timeout = flags
            .request_timeout
            .or(file.request_timeout)
            .unwrap_or(10.0);
        Ok(ConnectOptions {
            source: KubeconfigSource::resolve(explicit.as_deref(), env.as_deref(), home.as_deref()),
            contexts: or_vec(&flags.context, file.context.as_ref()),
            all_contexts: flags.all_contexts || file.all_contexts.unwrap_or(false),
            request_timeout: seconds("request-timeout", timeout)?,
        })
    }

    /// What cluster reads cover.
    pub fn read(&self, flags: &ReadFlags) -> ReadOptions {
        let file = self.cluster_section();
        ReadOptions {
            namespaces: if flags.all_namespaces {
                Vec::new()
            } else {
                or_vec(&flags.namespace, file.namespace.as_ref())
            },
            kinds: or_vec(&flags.kinds, file.kinds.as_ref()),
            exclude_kinds: or_vec(&flags.exclude_kinds, file.exclude_kinds.as_ref()),
            label_selector: flags.selector.clone().or(file.selector),
            field_selector: flags.field_selector.clone().or(file.field_selector),
            include_owned: flags.include_owned || file.include_owned.unwrap_or(false),
            ..ReadOptions::default()
        }
    }
}

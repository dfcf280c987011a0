//! `scan --cluster`: live state through the same scanner as files. Each context is read
//! concurrently, page by page into YAML texts (a live object's source); each becomes its
//! own inventory (cross-resource rules never mix clusters), and the findings of all of them
//! are resolved once (waivers, baseline) and gated like a file scan. A large cluster is
//! scanned in the two passes of a streamed file scan (src/scan/stream.rs), so only the
//! texts, the inventory and the findings are held, never every object as a document. The
//! scan itself runs on the scanner's rayon pool through `spawn_blocking`, never on the
//! async runtime.

use std::sync::Arc;

use crate::diag::{Code, Diagnostic};
use crate::scan::{NoProgress, ScanOutcome, Scanner};

use super::read::{self, ReadOptions};
use super::{Cluster, live};

/// What reading one cluster gave: its objects as YAML texts (far smaller than documents;
/// the scanner parses them when it needs them) and the problems met.
struct ClusterRead {
    texts: Vec<(String, String)>,
    objects: usize,
    errors: Vec<Diagnostic>,
    warnings: Vec<String>,
}

async fn read_cluster(cluster: &Cluster, opts: &ReadOptions) -> Result<ClusterRead, Diagnostic> {
    let mut texts = Vec::new();
    let mut errors = Vec::new();
    let outcome = read::read(cluster, opts, &mut |page| {
        let (t, e) = tokio::task::block_in_place(|| live::to_texts(page));
        texts.extend(t);
        errors.extend(e);
    })
    .await?;
    errors.extend(outcome.errors);
    let mut warnings = Vec::new();
    if outcome.owned > 0 {
        warnings.push(format!(
            "context {}: {} objects made by controllers from scanned templates were left out (--include-owned reads them)",
            cluster.context(),
            outcome.owned
        ));
    }
    Ok(ClusterRead {
        texts,
        objects: outcome.objects,
        errors,
        warnings,
    })
}

/// Reads every cluster and scans what was read. A cluster that cannot be read at all is
/// the error; a resource type that cannot be listed is one entry of `errors`.
pub async fn scan(
    clusters: &[Cluster],
    opts: &ReadOptions,
    scanner: Arc<Scanner>,
) -> Result<ScanOutcome, Diagnostic> {
    let reads = futures::future::join_all(clusters.iter().map(|c| read_cluster(c, opts))).await;
    let mut sets = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut objects = 0;
    for r in reads {
        let r = r?;
        objects += r.objects;
        sets.push(r.texts);
        errors.extend(r.errors);
        warnings.extend(r.warnings);
    }
    tracing::debug!(
        objects,
        rss_mib = ?crate::diag::current_rss_mib(),
        "live state read"
    );
    let bindings = scanner.bindings();
    let mut outcome =
        tokio::task::spawn_blocking(move || scanner.scan_texts(sets, &bindings, &NoProgress))
            .await
            .map_err(|e| Diagnostic::new(Code::System, format!("the scan stopped: {e}")))??;
    outcome.files = objects;
    outcome.errors.extend(errors);
    outcome.errors.sort();
    outcome.warnings.extend(warnings);
    Ok(outcome)
}

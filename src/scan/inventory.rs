//! A prepared inventory: the objects cross-resource rules see (`data.inventory`), built once
//! by [`Scanner::inventory`] and shared by many [`Scanner::scan_against`] calls, as the
//! admission webhook does with its mirror of the cluster.

use std::sync::Arc;

use super::{Bindings, NoProgress, ScanOutcome, Scanner, engine_inputs, resolve};
use crate::diag::Diagnostic;
use crate::document::Document;
use crate::engine::EngineValue;

/// The objects cross-resource rules see (`data.inventory`), prepared once by
/// [`Scanner::inventory`] and shared by many evaluations.
#[derive(Clone, Debug)]
pub struct Inventory {
    data: EngineValue,
    /// The Namespace objects (Gatekeeper policies read namespace labels from them).
    namespaces: Arc<Vec<Document>>,
    objects: usize,
}

impl Inventory {
    /// How many objects it holds.
    pub fn len(&self) -> usize {
        self.objects
    }

    pub fn is_empty(&self) -> bool {
        self.objects == 0
    }
}

impl Scanner {
    /// The inventory of `docs` prepared once for many [`Self::scan_against`] calls (the
    /// admission webhook's mirror of the cluster).
    pub fn inventory(&self, docs: Vec<Document>, bindings: &Bindings) -> Inventory {
        self.pool.install(|| {
            let (_, data) = engine_inputs(&docs, bindings);
            Inventory {
                data,
                objects: docs.len(),
                namespaces: Arc::new(
                    docs.into_iter()
                        .filter(|d| d.resource.kind == "Namespace")
                        .collect(),
                ),
            }
        })
    }

    /// Evaluates `docs` against a prepared inventory with `docs` in it (each added, or
    /// replacing the inventory's object of the same name): what a scan of the inventory's
    /// objects and `docs` together reports for `docs`, without rebuilding the inventory.
    pub fn scan_against(
        &self,
        docs: Vec<Document>,
        inventory: &Inventory,
        bindings: &Bindings,
    ) -> Result<ScanOutcome, Diagnostic> {
        let run = || {
            let inputs: Vec<EngineValue> = docs
                .iter()
                .map(|d| EngineValue::from_node(&d.tree))
                .collect();
            let data = crate::engine::with_inventory_objects(
                inventory.data.clone(),
                docs.iter()
                    .zip(&inputs)
                    .map(|(d, i)| (crate::k8s::cluster_scoped(&d.resource.kind), &d.resource, i)),
            )
            .with_entry("settings", crate::k8s::settings_data(bindings.kube_version));
            let pairs: Vec<(&Document, &EngineValue)> = docs.iter().zip(&inputs).collect();
            let all: Vec<&Document> = inventory.namespaces.iter().chain(&docs).collect();
            let mut outcome = self.evaluate_pairs(&pairs, &all, &data, &NoProgress)?;
            resolve::per_scan(&mut outcome, &self.options, bindings.today);
            Ok(outcome)
        };
        // A request of a document or two is evaluated where it is (the webhook calls this
        // from its own blocking threads); larger sets go to the scanner's pool.
        if docs.len() <= 2 {
            run()
        } else {
            self.pool.install(run)
        }
    }
}

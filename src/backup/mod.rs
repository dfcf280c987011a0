//! Backup and restore of cluster configuration: full and incremental backups of the live
//! state, compressed (gzip) and encrypted (AES-256-GCM, a data key per backup wrapped by
//! the master key), in a local directory or object storage; restores gated by the scan;
//! restore drills; retention. The format is [`format`] (documented in `docs/backups.md`).
//!
//! Flow: [`create`] reads the cluster and writes packs then the manifest; [`load`] reads a
//! backup back and verifies all of it; [`restore`] and [`drill`] apply what was read;
//! [`retention`] decides what `prune` removes; [`state`] keeps the lifecycle for the
//! metrics.

pub mod create;
pub mod drill;
pub mod format;
pub mod keys;
pub mod load;
pub mod restore;
pub mod retention;
pub mod state;
pub mod store;

pub use format::{BackupKind, Manifest};
pub use keys::KeySource;
pub use store::{Store, StoreOptions};

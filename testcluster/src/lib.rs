//! confgate's Kubernetes test API server (used by tests and by hand; see docs/testing.md).
pub mod apply;
pub mod controller;

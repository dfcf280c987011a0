//! The commands that chain the others (`status`, `full-cycle`, `cleanup`): what they
//! decide is pure and tested here on literal values; the I/O calls the library functions
//! the single commands use (`deploy`, `monitor`, `backup`, `revision`), never a copy.

pub mod cleanup;
pub mod cycle;
pub mod disaster;
pub mod doctor;
pub mod incident;
pub mod maintenance;
pub mod status;

//! The built-in controller (see module docs to come).

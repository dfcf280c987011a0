//! Server-side apply (see module docs to come).

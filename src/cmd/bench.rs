pub fn run(_a: &crate::cli::BenchArgs) -> anyhow::Result<crate::Status> { Ok(crate::Status::Clean) }

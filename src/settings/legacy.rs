//! The original suite's variables (`ENVIRONMENT`, `NAMESPACE`, `DRY_RUN`, `OUTPUT_DIR`,
//! `ROLLBACK_TARGET`, `LOG_LEVEL`, …) next to confgate's own `CONFGATE_*` names: the
//! `CONFGATE_*` name wins when both are set; an empty value counts as unset.

/// The value of `confgate` (a `CONFGATE_*` name), else of the suite's `legacy` name.
pub fn var(confgate: &str, legacy: &str) -> Option<String> {
    pick(env(confgate), env(legacy))
}

/// A boolean variable (`true`/`1`/`yes`/`on`, `false`/`0`/`no`/`off`), `CONFGATE_*` first.
/// Another value is treated as true, as the suite's shell tests (`[ -n "$DRY_RUN" ]`) did.
pub fn flag(confgate: &str, legacy: &str) -> Option<bool> {
    var(confgate, legacy).map(|v| parse_bool(&v))
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.trim().is_empty())
}

/// `CONFGATE_*` wins (pure).
pub fn pick(confgate: Option<String>, legacy: Option<String>) -> Option<String> {
    confgate.or(legacy)
}

/// A shell-style boolean (pure).
pub fn parse_bool(v: &str) -> bool {
    !matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "false" | "0" | "no" | "off"
    )
}

/// The tracing level a `LOG_LEVEL` value names (`DEBUG`, `info`, `WARNING`, …).
pub fn log_level(v: &str) -> Option<&'static str> {
    Some(match v.trim().to_ascii_lowercase().as_str() {
        "trace" => "trace",
        "debug" => "debug",
        "info" => "info",
        "warn" | "warning" => "warn",
        "error" | "critical" | "fatal" => "error",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confgate_name_wins_and_booleans_read_like_the_suite() {
        assert_eq!(
            pick(Some("a".into()), Some("b".into())).as_deref(),
            Some("a")
        );
        assert_eq!(pick(None, Some("b".into())).as_deref(), Some("b"));
        assert!(parse_bool("true") && parse_bool("1") && parse_bool("YES"));
        assert!(!parse_bool("false") && !parse_bool("0") && !parse_bool("Off"));
        assert_eq!(log_level("DEBUG"), Some("debug"));
        assert_eq!(log_level("WARNING"), Some("warn"));
        assert_eq!(log_level("loud"), None);
    }
}

//! Rego sources of user policies: Rego v1 first, v0 as a fallback; regorus error locations
//! mapped back to users' files and lines (also for Rego embedded in YAML); load-time checks
//! and polyfills.

use std::num::NonZeroU32;
use std::time::Duration;

use regorus::Value;
use regorus::languages::rego::compiler::Compiler;
use regorus::utils::limits::ExecutionTimerConfig;

use crate::diag::{Code, Diagnostic};
use crate::engine::failure::{SourceMap, timed_out};
use crate::engine::guard;

/// The execution time limit for user policy engines.
pub(crate) fn timer(timeout: Duration) -> ExecutionTimerConfig {
    ExecutionTimerConfig {
        limit: timeout,
        check_interval: NonZeroU32::MIN.saturating_add(63),
    }
}

/// A one-line description of a failed evaluation.
pub(crate) fn eval_failure(
    map: &SourceMap,
    err: &anyhow::Error,
    timeout: Duration,
) -> super::Failure {
    if timed_out(err) {
        super::Failure {
            timed_out: true,
            message: format!(
                "stopped after {timeout:?} (policy-timeout); its findings are missing for this document"
            ),
        }
    } else {
        map.runtime(&format!("{err:#}")).into()
    }
}

/// The Rego dialect of a source when it is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RegoVersion {
    V0,
    V1,
}

/// Functions confgate adds to user engines because regorus lacks them: OPA's deprecated
/// `re_match` (= `regex.match`), still common in Gatekeeper templates.
const POLYFILLS: [&str; 1] = ["re_match"];

/// A new engine for user policies: time limit set, polyfills and guarded builtins added.
pub(crate) fn new_engine(timeout: Duration) -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    engine.set_execution_timer_config(timer(timeout));
    guard::add_guarded_builtins(&mut engine);
    let re_match = |args: Vec<Value>| -> anyhow::Result<Value> {
        match (args.first(), args.get(1)) {
            (Some(Value::String(pattern)), Some(Value::String(value))) => {
                let re = regex::Regex::new(pattern)
                    .map_err(|e| anyhow::anyhow!("re_match: invalid pattern {pattern:?}: {e}"))?;
                Ok(Value::from(re.is_match(value)))
            }
            _ => Err(anyhow::anyhow!("re_match expects two strings")),
        }
    };
    if let Err(e) = engine.add_extension(POLYFILLS[0].to_string(), 2, Box::new(re_match)) {
        tracing::debug!("cannot add re_match: {e}");
    }
    engine
}

/// Recursive functions abort the interpreter (see [`guard`]): refuse them once every module
/// of an engine is added, before anything is evaluated.
pub(crate) fn check_recursion(engine: &regorus::Engine, map: &SourceMap) -> Result<(), Diagnostic> {
    guard::check_recursion(engine).map_err(|e| map.policy_error(&e))
}

/// Unknown functions surface in the interpreter only when a call is reached; the bytecode
/// compiler resolves every call, so compile `entry` (and discard the program) to report them
/// at load time. Other compiler complaints are left to the interpreter.
pub(crate) fn check_functions(
    engine: &mut regorus::Engine,
    entry: &str,
    map: &SourceMap,
) -> Result<(), Diagnostic> {
    let rc: regorus::Rc<str> = entry.into();
    let Ok(compiled) = engine.compile_with_entrypoint(&rc) else {
        return Ok(());
    };
    let Err(e) = Compiler::compile_from_policy(&compiled, &[entry]) else {
        return Ok(());
    };
    let text = e.to_string();
    tracing::debug!("compile check: {text}");
    let marker = "Unknown function: '";
    let Some(at) = text.find(marker) else {
        return Ok(());
    };
    let name = text[at + marker.len()..]
        .split('\'')
        .next()
        .unwrap_or_default();
    if POLYFILLS.contains(&name) {
        return Ok(());
    }
    let location = text
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("-->"))
        .map(str::trim)
        .unwrap_or_default();
    let line = format!("{location}: unknown function {name}");
    Err(match map.locate(&line) {
        Some((file, l, _, message)) => Diagnostic::new(Code::PolicyLoad, message)
            .file(file)
            .line(Some(l)),
        None => Diagnostic::new(Code::PolicyLoad, line),
    })
}

/// Adds one Rego module to `engine`: Rego v1 first, then v0, unless the version is known.
/// Nesting regorus cannot parse in reasonable time is refused first.
/// Text that looks like v1 is parsed as v1 only: regorus's v0 parser prints multi-line
/// warnings about v1 keywords straight to stderr, and its error would name the wrong cause.
/// When both are tried and both fail, the error of the dialect the text looks like is
/// reported. Returns the package (`data.x.y`).
pub(crate) fn add_rego(
    engine: &mut regorus::Engine,
    label: &str,
    text: &str,
    version: Option<RegoVersion>,
    map: &SourceMap,
) -> Result<String, Diagnostic> {
    guard::check_nesting(label, text).map_err(|e| map.policy_error(&e))?;
    let mut attempt = |v0: bool| {
        engine.set_rego_v0(v0);
        engine.add_policy(label.to_string(), text.to_string())
    };
    let result = match version {
        Some(RegoVersion::V1) => attempt(false),
        Some(RegoVersion::V0) => attempt(true),
        None if looks_v1(text) => attempt(false),
        None => match attempt(false) {
            Ok(p) => Ok(p),
            Err(v1) => match attempt(true) {
                Ok(p) => Ok(p),
                Err(v0) => Err(if looks_v1(text) { v1 } else { v0 }),
            },
        },
    };
    engine.set_rego_v0(false);
    result.map_err(|e| map.policy_error(&e))
}

/// Does this Rego look like v1 (`import rego.v1`, or `if`/`contains` without the v0
/// `future.keywords` imports)?
fn looks_v1(text: &str) -> bool {
    if text.contains("import rego.v1") {
        return true;
    }
    if text.contains("future.keywords") {
        return false;
    }
    // `if` is only ever a keyword; `contains` is also a v0 builtin, `contains(a, b)`.
    text.lines().any(|l| {
        let code = l.split('#').next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            let word_len = rest[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len() - at);
            let word = &rest[at..at + word_len];
            let after = rest[at + word_len..].trim_start();
            if word == "if" || (word == "contains" && !after.starts_with('(')) {
                return true;
            }
            rest = &rest[at + word_len..];
        }
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_map_moves_embedded_rego_errors_to_the_yaml_line() {
        let mut map = SourceMap::default();
        map.add("t.yaml#rego", "t.yaml", 10, 8);
        map.add("t.yaml#rego.libs[0]", "t.yaml", 30, 10);
        assert_eq!(
            map.runtime("t.yaml#rego:3:5: boom"),
            "t.yaml:13:13: boom".to_string()
        );
        assert_eq!(
            map.runtime("t.yaml#rego.libs[0]:1:1: bang"),
            "t.yaml:31:11: bang".to_string()
        );
    }

    #[test]
    fn v1_is_recognised_by_its_keywords() {
        assert!(looks_v1("package a\ndeny contains msg if {\n}\n"));
        assert!(!looks_v1("package a\n# if this\ndeny[msg] {\n}\n"));
        assert!(!looks_v1(
            "package a\nimport future.keywords.if\ndeny[msg] if {\n}\n"
        ));
        assert!(!looks_v1(
            "package a\ndeny[msg] {\n  contains(input.kind, \"Pod\")\n  msg := \"x\"\n}\n"
        ));
    }
}

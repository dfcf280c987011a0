//! Guards against hostile Rego, for policies confgate does not ship (`--policy`, `policy
//! test`): regorus 0.14 can be made to crash, abort or hang by a few lines of Rego, and a
//! scan must end with an error naming the file and line instead.
//!
//! What regorus does, and what is done here about it:
//!
//! - **Recursion.** OPA rejects recursion at compile time. regorus's interpreter notices a
//!   rule that is re-entered while being evaluated, but not a *function* that calls itself
//!   (directly or through other functions): it recurses on the native stack until the
//!   process aborts with a stack overflow. Its bytecode compiler checks rule call chains but
//!   compiles a recursive function without complaint. [`check_recursion`] builds the call
//!   graph of user functions from regorus's AST (`Engine::get_ast_as_json`, the `ast`
//!   feature) and rejects any cycle before anything is evaluated.
//! - **Nesting.** regorus's parser backtracks on `[`/`{` (array or comprehension, object or
//!   set): parse time roughly doubles per level, so 20 nested brackets take minutes. Its own
//!   limit (32) only covers parenthesised expressions. [`check_nesting`] scans the text
//!   first (skipping strings and comments) and refuses more than [`MAX_NESTING`] levels of
//!   brackets, braces and parentheses together, at the line of the deepest point.
//! - **Allocation.** `numbers.range(1, 3e8)` reserves the whole array up front (~7 GB);
//!   the allocation fails and Rust aborts the process, which no memory budget can turn into
//!   an error (regorus's `allocator-memory-limits` counts allocations after they succeed,
//!   and needs mimalloc as the global allocator). [`add_guarded_builtins`] replaces
//!   `numbers.range` and `numbers.range_step` in user engines (regorus consults extensions
//!   before its builtins) with versions that refuse more than [`MAX_RANGE`] elements, a
//!   runtime error of that rule on that document like any other.
//!
//! Time is bounded elsewhere: every user engine has an `ExecutionTimerConfig`.

use std::collections::{BTreeMap, BTreeSet};

use regorus::Value;

/// Deepest nesting of `[`, `{` and `(` accepted in a user Rego source. Real policies stay
/// below 10; at 16, regorus parses in well under a second.
pub(crate) const MAX_NESTING: usize = 16;

/// Most elements `numbers.range`/`numbers.range_step` may produce in a user policy.
pub(crate) const MAX_RANGE: u64 = 1_000_000;

/// Refuses a source nested deeper than [`MAX_NESTING`]; the error reads
/// `label:line:col: message` at the first bracket beyond the limit.
pub(crate) fn check_nesting(label: &str, text: &str) -> anyhow::Result<()> {
    let mut depth = 0usize;
    let (mut line, mut col) = (1u32, 0u32);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        col += 1;
        match c {
            '\n' => {
                line += 1;
                col = 0;
            }
            '#' => {
                // A comment runs to the end of the line.
                while chars.peek().is_some_and(|c| *c != '\n') {
                    chars.next();
                }
            }
            '"' => {
                // A string ends at an unescaped quote (or, unterminated, at the line end).
                while let Some(s) = chars.next() {
                    col += 1;
                    match s {
                        '\\' => {
                            chars.next();
                            col += 1;
                        }
                        '"' => break,
                        '\n' => {
                            line += 1;
                            col = 0;
                            break;
                        }
                        _ => {}
                    }
                }
            }
            '`' => {
                // Raw strings may span lines.
                for s in chars.by_ref() {
                    col += 1;
                    match s {
                        '`' => break,
                        '\n' => {
                            line += 1;
                            col = 0;
                        }
                        _ => {}
                    }
                }
            }
            '[' | '{' | '(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    anyhow::bail!(
                        "{label}:{line}:{col}: brackets, braces and parentheses nested more than {MAX_NESTING} levels deep (regorus parses such nesting in exponential time)"
                    );
                }
            }
            ']' | '}' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A user function: the functions it calls, each with the location of the call.
#[derive(Default)]
struct Function {
    calls: Vec<(String, String)>,
}

/// Refuses recursion among the functions of `engine`'s policies (OPA's
/// `rego_recursion_error`); the error reads `label:line:col: message` at the call that
/// closes the cycle.
pub(crate) fn check_recursion(engine: &regorus::Engine) -> anyhow::Result<()> {
    let ast: serde_json::Value = serde_json::from_str(&engine.get_ast_as_json()?)?;
    let mut functions: BTreeMap<String, Function> = BTreeMap::new();
    for policy in ast.as_array().into_iter().flatten() {
        let label = policy["source"]["file"].as_str().unwrap_or_default();
        let text = policy["source"]["contents"].as_str().unwrap_or_default();
        let module = &policy["ast"];
        let Some(package) = dotted(&module["package"]["refr"]) else {
            continue;
        };
        let package = format!("data.{package}");
        let imports = imports_of(module, text);
        for rule in module["rules"].as_array().into_iter().flatten() {
            let spec = &rule["Spec"];
            let Some(name) = dotted(&spec["head"]["Func"]["refr"]) else {
                continue;
            };
            let mut calls = Vec::new();
            collect_calls(spec, &mut calls);
            // A function may be defined by several rules; their calls add up.
            let f = functions.entry(format!("{package}.{name}")).or_default();
            for (name, line, col) in calls {
                let target = resolve(&name, &package, &imports);
                f.calls.push((target, format!("{label}:{line}:{col}")));
            }
        }
    }
    let known: BTreeSet<String> = functions.keys().cloned().collect();
    for f in functions.values_mut() {
        f.calls.retain(|(target, _)| known.contains(target));
    }
    // Depth-first search with colours: a call to a function still on the stack is a cycle.
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for start in functions.keys() {
        if done.contains(start.as_str()) {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        let mut on_stack: Vec<&str> = vec![start.as_str()];
        while let Some((name, next)) = stack.pop() {
            let calls = functions.get(name).map_or(&[][..], |f| &f.calls[..]);
            let Some((target, at)) = calls.get(next) else {
                done.insert(name);
                on_stack.pop();
                continue;
            };
            stack.push((name, next + 1));
            if let Some(from) = on_stack.iter().position(|n| *n == target.as_str()) {
                let mut chain: Vec<&str> = on_stack[from..].to_vec();
                chain.push(target);
                anyhow::bail!(
                    "{at}: recursive function {target} (calls {}); Rego does not allow recursion",
                    chain.join(" -> ")
                );
            }
            if !done.contains(target.as_str()) {
                stack.push((target.as_str(), 0));
                on_stack.push(target.as_str());
            }
        }
    }
    Ok(())
}

/// `a.b.c` of a `Var`/`RefDot` chain (`None` for other references).
fn dotted(refr: &serde_json::Value) -> Option<String> {
    if let Some(v) = refr.get("Var") {
        return v["value"].as_str().map(str::to_string);
    }
    let dot = refr.get("RefDot")?;
    let field = dot["field"].get(1)?.as_str()?;
    Some(format!("{}.{field}", dotted(&dot["refr"])?))
}

/// Import aliases of a module: `import data.lib.x as y` → `y` = `data.lib.x`; without
/// `as`, the last component names it.
fn imports_of(module: &serde_json::Value, text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for import in module["imports"].as_array().into_iter().flatten() {
        let Some(path) = dotted(&import["refr"]) else {
            continue;
        };
        let alias = import["as"]
            .as_object()
            .and_then(|span| {
                let start = usize::try_from(span.get("start")?.as_u64()?).ok()?;
                let end = usize::try_from(span.get("end")?.as_u64()?).ok()?;
                text.get(start..end).map(str::to_string)
            })
            .or_else(|| path.rsplit('.').next().map(str::to_string));
        if let Some(alias) = alias {
            out.insert(alias, path);
        }
    }
    out
}

/// Every `Call` below `node`: (function name as written, line, column).
fn collect_calls(node: &serde_json::Value, out: &mut Vec<(String, u64, u64)>) {
    match node {
        serde_json::Value::Object(map) => {
            if let Some(call) = map.get("Call")
                && let Some(name) = dotted(&call["fcn"])
            {
                let span = &call["span"];
                out.push((
                    name,
                    span["line"].as_u64().unwrap_or(1),
                    span["col"].as_u64().unwrap_or(1),
                ));
            }
            for v in map.values() {
                collect_calls(v, out);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                collect_calls(v, out);
            }
        }
        _ => {}
    }
}

/// The rule path a call names, seen from `package`.
fn resolve(name: &str, package: &str, imports: &BTreeMap<String, String>) -> String {
    if name == "data" || name.starts_with("data.") {
        return name.to_string();
    }
    let (first, rest) = name.split_once('.').unwrap_or((name, ""));
    match imports.get(first) {
        Some(path) if rest.is_empty() => path.clone(),
        Some(path) => format!("{path}.{rest}"),
        None => format!("{package}.{name}"),
    }
}

/// Replaces `numbers.range` and `numbers.range_step` in `engine` with versions that refuse
/// to produce more than [`MAX_RANGE`] elements (see the module comment).
pub(crate) fn add_guarded_builtins(engine: &mut regorus::Engine) {
    let range = |args: Vec<Value>| range_of("numbers.range", &args, false);
    let range_step = |args: Vec<Value>| range_of("numbers.range_step", &args, true);
    for (name, nargs, f) in [
        (
            "numbers.range",
            2,
            Box::new(range) as Box<dyn regorus::Extension>,
        ),
        ("numbers.range_step", 3, Box::new(range_step)),
    ] {
        if let Err(e) = engine.add_extension(name.to_string(), nargs, f) {
            tracing::debug!("cannot guard {name}: {e}");
        }
    }
}

/// An integer argument; `None` (undefined, as regorus's builtin does) for other numbers.
fn integer(name: &str, v: Option<&Value>) -> anyhow::Result<Option<i64>> {
    let n = v
        .and_then(|v| v.as_number().ok())
        .ok_or_else(|| anyhow::anyhow!("{name} expects numbers"))?;
    if !n.is_integer() {
        return Ok(None);
    }
    n.as_i64()
        .map(Some)
        .ok_or_else(|| anyhow::anyhow!("{name}: {n:?} is out of range"))
}

fn range_of(name: &str, args: &[Value], stepped: bool) -> anyhow::Result<Value> {
    let (Some(from), Some(to)) = (integer(name, args.first())?, integer(name, args.get(1))?) else {
        return Ok(Value::Undefined);
    };
    let step = if stepped {
        match integer(name, args.get(2))? {
            Some(s) if s > 0 => s,
            _ => anyhow::bail!("{name}: step must be a positive integer"),
        }
    } else {
        1
    };
    let span = from.abs_diff(to);
    let count = span / step.unsigned_abs() + 1;
    if count > MAX_RANGE {
        anyhow::bail!(
            "{name}: {count} elements exceed confgate's limit of {MAX_RANGE} for user policies"
        );
    }
    let step = if to < from { -step } else { step };
    let mut out = Vec::new();
    let mut v = from;
    for _ in 0..count {
        out.push(Value::from(v));
        v = v.saturating_add(step);
    }
    Ok(Value::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(text: &str) -> regorus::Engine {
        let mut e = regorus::Engine::new();
        if let Err(err) = e.add_policy("p.rego".to_string(), text.to_string()) {
            panic!("{err}");
        }
        e
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused_at_its_line() {
        let deep = format!("package p\n\nx := {}1{}\n", "[".repeat(20), "]".repeat(20));
        let e = check_nesting("p.rego", &deep).err().map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(|e| e.starts_with("p.rego:3:22: ")),
            "{e:?}"
        );
        let ok = format!("package p\n\nx := {}1{}\n", "[".repeat(16), "]".repeat(16));
        assert!(check_nesting("p.rego", &ok).is_ok());
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let text = format!(
            "package p\n# {}\nx := \"{}\"\ny := `{}`\n",
            "[".repeat(40),
            "{".repeat(40),
            "(".repeat(40)
        );
        assert!(check_nesting("p.rego", &text).is_ok());
    }

    #[test]
    fn self_recursive_functions_are_refused_at_the_call() {
        let e = engine("package p\n\nf(x) := y if {\n  y := f(x)\n}\n");
        let err = check_recursion(&e).err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.starts_with("p.rego:4:") && e.contains("data.p.f")),
            "{err:?}"
        );
    }

    #[test]
    fn mutual_recursion_through_an_import_is_refused() {
        let mut e = engine("package lib.a\n\nimport data.lib.b\n\nf(x) := b.g(x)\n");
        if let Err(err) = e.add_policy(
            "q.rego".to_string(),
            "package lib.b\n\ng(x) := data.lib.a.f(x)\n".to_string(),
        ) {
            panic!("{err}");
        }
        let err = check_recursion(&e).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("recursive function")));
    }

    #[test]
    fn functions_calling_other_functions_and_builtins_pass() {
        let e =
            engine("package p\n\nf(x) := g(x) + count([x])\n\ng(x) := x * 2\n\nh(x) := f(g(x))\n");
        assert!(check_recursion(&e).is_ok());
    }

    #[test]
    fn guarded_range_matches_the_builtin_and_refuses_huge_ranges() {
        let mut e = engine(
            "package p\n\nsmall := numbers.range(3, 1)\nstepped := numbers.range_step(0, 10, 4)\nhuge := numbers.range(1, 3e8)\n",
        );
        add_guarded_builtins(&mut e);
        let json = |v: Value| serde_json::to_value(v).unwrap_or_default();
        assert_eq!(
            e.eval_rule("data.p.small".to_string()).map(json).ok(),
            Some(serde_json::json!([3, 2, 1]))
        );
        assert_eq!(
            e.eval_rule("data.p.stepped".to_string()).map(json).ok(),
            Some(serde_json::json!([0, 4, 8]))
        );
        let err = e.eval_rule("data.p.huge".to_string()).err();
        assert!(err.is_some_and(|e| format!("{e:#}").contains("limit of 1000000")));
    }
}

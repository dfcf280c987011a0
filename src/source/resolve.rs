//! Scalar resolution as kubectl and the API server do it.
//!
//! A gate must read a manifest the way the cluster will. Kubernetes decodes YAML through
//! sigs.k8s.io/yaml, which uses go-yaml v2: YAML 1.1 resolution (`yes`/`on`/`y` are true,
//! `017` is octal, `1_000` is 1000) implemented with Go's `strconv`, then a YAML → JSON step
//! that turns non-string keys into strings and rejects values JSON cannot hold (`.inf`,
//! `.nan`). This module reproduces that chain for one scalar; every rule here was checked
//! against `kubectl label --local -o json` (v1.32), see `tests/kubectl_diff.rs`. The YAML 1.2
//! core-schema reading is kept beside it only to tell when the two disagree.

use base64::Engine as _;
use serde_json::Value;

/// What go-yaml v2 makes of a scalar, before the JSON step.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
}

/// How a scalar was written: plain (unquoted) scalars are resolved, others are strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
}

/// Resolves `text` written in `style` with an optional core-schema tag suffix (`str`, `int`,
/// …) or a custom tag (`Some(None)` means "a tag that is not from the core schema").
pub fn resolve(text: &str, style: Style, tag: Option<Option<&str>>) -> Result<Scalar, String> {
    let core = match tag {
        None => None,
        // A custom or non-specific tag (`!foo`, `!`): go-yaml keeps the text.
        Some(None) => return Ok(Scalar::Str(text.to_string())),
        Some(Some(t)) => Some(t),
    };
    match core {
        Some("str") => return Ok(Scalar::Str(text.to_string())),
        Some("binary") => return decode_binary(text).map(Scalar::Str),
        Some("bool" | "int" | "float" | "null" | "timestamp") | None => {}
        // `!!map`, `!!seq` on a scalar or an unknown core tag: kept as text, like go-yaml.
        Some(_) => return Ok(Scalar::Str(text.to_string())),
    }
    if style == Style::Quoted && core.is_none() {
        return Ok(Scalar::Str(text.to_string()));
    }
    let found = implicit(text);
    let Some(want) = core else {
        return Ok(found);
    };
    match (want, found) {
        ("bool", b @ Scalar::Bool(_)) => Ok(b),
        ("null", Scalar::Null) => Ok(Scalar::Null),
        ("int", i @ (Scalar::Int(_) | Scalar::Uint(_))) => Ok(i),
        ("float", f @ Scalar::Float(_)) => Ok(f),
        ("float", Scalar::Int(i)) => Ok(Scalar::Float(i as f64)),
        ("float", Scalar::Uint(u)) => Ok(Scalar::Float(u as f64)),
        ("timestamp", s @ Scalar::Str(_)) => Ok(s),
        (want, _) => Err(format!("cannot decode `{text}` as a !!{want}")),
    }
}

fn decode_binary(text: &str) -> Result<String, String> {
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean.as_bytes())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|_| "!!binary value contains invalid base64 data".to_string())
}

/// go-yaml v2's implicit resolution of a plain scalar (`resolve.go`).
fn implicit(text: &str) -> Scalar {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Scalar::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Scalar::Bool(false);
        }
        ".nan" | ".NaN" | ".NAN" => return Scalar::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Scalar::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Scalar::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    match text.as_bytes()[0] {
        b'.' => {
            if is_float_syntax(&plain)
                && let Some(f) = parse_float(&plain)
            {
                return Scalar::Float(f);
            }
        }
        b'0'..=b'9' | b'+' | b'-' => {
            if let Some(n) = go_int(&plain) {
                return n;
            }
            if is_float_syntax(&plain)
                && let Some(f) = parse_float(&plain)
            {
                return Scalar::Float(f);
            }
        }
        _ => {}
    }
    Scalar::Str(text.to_string())
}

/// Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint(s, 0, 64)` (no sign) for larger values.
fn go_int(s: &str) -> Option<Scalar> {
    let (neg, signed, body) = match s.as_bytes().first()? {
        b'-' => (true, true, &s[1..]),
        b'+' => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    let lower = body.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &body[2..]),
        Some("0o") => (8, &body[2..]),
        Some("0b") => (2, &body[2..]),
        _ if body.len() > 1 && body.starts_with('0') => (8, &body[1..]),
        _ => (10, body),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u128 + 1 {
            return Some(Scalar::Int((-(magnitude as i128)) as i64));
        }
        return None;
    }
    if magnitude <= i64::MAX as u128 {
        Some(Scalar::Int(magnitude as i64))
    } else if !signed && magnitude <= u64::MAX as u128 {
        Some(Scalar::Uint(magnitude as u64))
    } else {
        None
    }
}

/// go-yaml's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_float_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `ParseFloat`: an overflow to ±Inf is an error (the scalar stays a string).
fn parse_float(s: &str) -> Option<f64> {
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(f)
}

impl Scalar {
    /// The JSON value the API server ends up with: JSON has no Inf/NaN (kubectl rejects the
    /// file), and Go's JSON round trip turns integral floats below 1e21 into integers and
    /// integers above `i64::MAX` into floats.
    pub fn to_json(&self) -> Result<Value, String> {
        Ok(match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(*b),
            Scalar::Int(i) => Value::from(*i),
            Scalar::Uint(u) => float_json(*u as f64)?,
            Scalar::Float(f) => float_json(*f)?,
            Scalar::Str(s) => Value::String(s.clone()),
        })
    }

    /// The mapping key sigs.k8s.io/yaml makes of this scalar; `None` for a null key, which
    /// kubectl rejects.
    pub fn to_key(&self) -> Option<String> {
        Some(match self {
            Scalar::Null => return None,
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Uint(u) => u.to_string(),
            Scalar::Float(f) => go_format_g32(*f),
            Scalar::Str(s) => s.clone(),
        })
    }
}

fn float_json(f: f64) -> Result<Value, String> {
    if !f.is_finite() {
        let shown = if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        };
        return Err(format!(
            "{shown} cannot be represented in JSON; Kubernetes rejects the file"
        ));
    }
    if f.fract() == 0.0 && f.abs() < 1e21 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
        return Ok(Value::from(f as i64));
    }
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| "number cannot be represented in JSON".to_string())
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`, which sigs.k8s.io/yaml uses for float keys.
fn go_format_g32(f: f64) -> String {
    let x = f as f32;
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. `-1.2345679e8`.
    let e = format!("{x:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}{rest}e{esign}{:02}", exp.abs());
    }
    let point = exp + 1; // digits before the decimal point
    let s = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if (point as usize) >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (a, b) = digits.split_at(point as usize);
        format!("{a}.{b}")
    };
    format!("{sign}{s}")
}

/// The YAML 1.2 core-schema reading of a plain scalar, as JSON, to detect scalars that
/// YAML 1.1 (Kubernetes) and YAML 1.2 (most editors, linters and people) read differently.
pub fn core_schema(v: &str) -> Value {
    match v {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let body = v.trim_start_matches(['-', '+']);
    let neg = v.starts_with('-');
    let int = if let Some(h) = body.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = body.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if !body.is_empty() && body.bytes().all(|c| c.is_ascii_digit()) {
        body.parse::<i64>().ok()
    } else {
        None
    };
    if let Some(n) = int
        && v.len() - body.len() <= 1
    {
        return Value::from(if neg { -n } else { n });
    }
    if v.len() - body.len() <= 1
        && is_float_syntax(v)
        && let Some(f) = parse_float(v)
    {
        return float_json(f).unwrap_or(Value::Null);
    }
    Value::String(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plain(s: &str) -> Value {
        resolve(s, Style::Plain, None)
            .and_then(|x| x.to_json())
            .unwrap_or(Value::Null)
    }

    #[test]
    fn yaml11_booleans_are_exactly_go_yamls_spellings() {
        for t in [
            "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
        ] {
            assert_eq!(plain(t), json!(true), "{t}");
        }
        for f in [
            "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False",
        ] {
            assert_eq!(plain(f), json!(false), "{f}");
        }
        for s in ["yEs", "oN", "tRue", "nO", "Y1"] {
            assert_eq!(plain(s), json!(s), "{s}");
        }
    }

    #[test]
    fn integers_follow_go_parse_int_with_base_prefixes_and_underscores() {
        let cases = [
            ("0b1010", json!(10)),
            ("-0b1010", json!(-10)),
            ("0B11", json!(3)),
            ("017", json!(15)),
            ("-017", json!(-15)),
            ("0o17", json!(15)),
            ("0O17", json!(15)),
            ("0_17", json!(15)),
            ("0x1F", json!(31)),
            ("+0x1F", json!(31)),
            ("0x_1F", json!(31)),
            ("1_000", json!(1000)),
            ("1__0", json!(10)),
            ("0_0", json!(0)),
            ("00", json!(0)),
            ("08", json!(8)),
            ("-9223372036854775808", json!(i64::MIN)),
            ("0b", json!("0b")),
            ("0x", json!("0x")),
            ("_1", json!("_1")),
        ];
        for (text, want) in cases {
            assert_eq!(plain(text), want, "{text}");
        }
        assert_eq!(plain("18446744073709551615"), json!(18446744073709551615.0));
    }

    #[test]
    fn floats_follow_go_yamls_pattern_and_integral_ones_become_integers() {
        let cases = [
            ("1e3", json!(1000)),
            ("1.", json!(1)),
            (".5", json!(0.5)),
            ("+.5", json!(0.5)),
            ("-.5e2", json!(-50)),
            (".5_0", json!(0.5)),
            ("1_000.5", json!(1000.5)),
            ("1e-400", json!(0)),
            ("1e400", json!("1e400")),
            ("1e", json!("1e")),
            ("1.2.3", json!("1.2.3")),
            ("190:20:30", json!("190:20:30")),
            ("2001-12-14", json!("2001-12-14")),
            (".Nan", json!(".Nan")),
        ];
        for (text, want) in cases {
            assert_eq!(plain(text), want, "{text}");
        }
        assert_eq!(plain("1e21"), json!(1e21));
    }

    #[test]
    fn nulls_are_the_empty_scalar_tilde_and_three_spellings() {
        for n in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(plain(n), Value::Null);
        }
        assert_eq!(plain("nULL"), json!("nULL"));
    }

    #[test]
    fn infinity_and_nan_are_rejected_like_kubectl_rejects_them() {
        for s in [".inf", "-.Inf", "+.INF", ".nan", ".NaN"] {
            let r = resolve(s, Style::Plain, None).and_then(|x| x.to_json());
            assert!(r.is_err(), "{s}");
        }
    }

    #[test]
    fn quoted_scalars_are_strings_unless_tagged() {
        let r = resolve("yes", Style::Quoted, None);
        assert_eq!(r, Ok(Scalar::Str("yes".into())));
        assert_eq!(
            resolve("12", Style::Quoted, Some(Some("int"))),
            Ok(Scalar::Int(12))
        );
    }

    #[test]
    fn tags_convert_or_fail_as_go_yaml_does() {
        assert_eq!(
            resolve("12", Style::Plain, Some(Some("str"))),
            Ok(Scalar::Str("12".into()))
        );
        assert_eq!(
            resolve("1", Style::Plain, Some(Some("float"))),
            Ok(Scalar::Float(1.0))
        );
        assert_eq!(
            resolve("yes", Style::Plain, Some(Some("bool"))),
            Ok(Scalar::Bool(true))
        );
        assert_eq!(
            resolve("aGk=", Style::Plain, Some(Some("binary"))),
            Ok(Scalar::Str("hi".into()))
        );
        assert_eq!(
            resolve("12", Style::Plain, Some(None)),
            Ok(Scalar::Str("12".into()))
        );
        assert!(resolve("abc", Style::Plain, Some(Some("int"))).is_err());
        assert!(resolve("1.5", Style::Plain, Some(Some("int"))).is_err());
    }

    #[test]
    fn keys_are_stringified_like_sigs_k8s_io_yaml() {
        let key = |s: &str| resolve(s, Style::Plain, None).ok().and_then(|x| x.to_key());
        assert_eq!(key("yes").as_deref(), Some("true"));
        assert_eq!(key("0x1F").as_deref(), Some("31"));
        assert_eq!(key("1e3").as_deref(), Some("1000"));
        assert_eq!(key("1.5").as_deref(), Some("1.5"));
        assert_eq!(key("2.0").as_deref(), Some("2"));
        assert_eq!(key("0.1").as_deref(), Some("0.1"));
        assert_eq!(key("1e21").as_deref(), Some("1e+21"));
        assert_eq!(key("1e-7").as_deref(), Some("1e-07"));
        assert_eq!(key("123456789.5").as_deref(), Some("1.2345679e+08"));
        assert_eq!(key("~"), None);
    }

    #[test]
    fn core_schema_reading_differs_exactly_on_the_ambiguous_forms() {
        for s in ["yes", "no", "on", "off", "y", "n", "0777", "1_000"] {
            assert_ne!(core_schema(s), plain(s), "{s}");
        }
        for s in ["true", "1", "0x1F", "0o17", "1.5", "1e3", "abc", "~"] {
            assert_eq!(core_schema(s), plain(s), "{s}");
        }
    }
}

//! Kubernetes value syntaxes, as the API server's validation defines them: DNS-1123 and
//! DNS-1035 names, IANA service names, qualified names and label values, ConfigMap keys,
//! resource quantities, base64 and RFC 3339 timestamps. Small pure functions, shared by the
//! schema walk, the cross-field checks and the public `syntax` helpers; the name syntaxes
//! are the ones of [`crate::k8s`].

pub(super) use crate::k8s::{is_dns1035_label, is_dns1123_label, is_dns1123_subdomain};

fn is_lower_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// A path segment name (RBAC objects): not `.` or `..`, without `/` or `%`.
pub(super) fn is_path_segment_name(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '%'])
}

/// IANA_SVC_NAME: at most 15 lowercase alphanumerics or '-', with a letter, no '-' at either
/// end and no "--".
pub(super) fn is_iana_svc_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 15
        && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        && b.iter().any(u8::is_ascii_lowercase)
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !s.contains("--")
}

/// The name part of a qualified name (label key): at most 63 of `[-_.A-Za-z0-9]`, alphanumeric
/// at both ends. Also the syntax of a non-empty label value.
fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// Checks a label or annotation key; `Err` says what is wrong.
pub(super) fn check_qualified_name(key: &str) -> Result<(), &'static str> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        if p.is_empty() {
            return Err("the prefix before '/' must not be empty");
        }
        if !is_dns1123_subdomain(p) {
            return Err("the prefix must be a DNS subdomain (lowercase, at most 253 characters)");
        }
    }
    if name.is_empty() {
        return Err("the name part must not be empty");
    }
    if name.len() > 63 {
        return Err("the name part must be at most 63 characters");
    }
    if !is_qualified_name_part(name) {
        return Err(
            "the name part must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric",
        );
    }
    Ok(())
}

/// Checks a label value; `Err` says what is wrong.
pub(super) fn check_label_value(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        Ok(())
    } else if v.len() > 63 {
        Err("must be at most 63 characters")
    } else if !is_qualified_name_part(v) {
        Err("must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric")
    } else {
        Ok(())
    }
}

/// Checks a ConfigMap / Secret key; `Err` says what is wrong.
pub(super) fn check_config_key(k: &str) -> Result<(), &'static str> {
    if k.is_empty() {
        Err("must not be empty")
    } else if k.len() > 253 {
        Err("must be at most 253 characters")
    } else if !k
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        Err("must consist of alphanumerics, '-', '_' or '.'")
    } else if k == "." || k == ".." || k.starts_with("..") {
        Err("must not be '.' or start with '..'")
    } else {
        Ok(())
    }
}

/// Parses a Kubernetes quantity (`100m`, `1Gi`, `0.5`, `1e3`, `128974848`) to its value.
pub(super) fn parse_quantity(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let start = i;
    let mut digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    let number: f64 = s[start..i].parse().ok()?;
    let number = if b.first() == Some(&b'-') {
        -number
    } else {
        number
    };
    let suffix = &s[i..];
    let multiplier = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => {
            let exp = suffix.strip_prefix(['e', 'E'])?;
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let exp: i32 = exp.parse().ok()?;
            10f64.powi(exp)
        }
    };
    Some(number * multiplier)
}

/// Standard base64 with padding, as Go's `encoding/json` decodes `[]byte` (newlines ignored).
pub(super) fn is_base64(s: &str) -> bool {
    let body: Vec<u8> = s.bytes().filter(|&c| c != b'\n' && c != b'\r').collect();
    if !body.len().is_multiple_of(4) {
        return false;
    }
    let pad = body.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return false;
    }
    body[..body.len() - pad]
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

/// RFC 3339 date-time as Go's `time.RFC3339` parses it: `2006-01-02T15:04:05(.frac)(Z|±07:00)`.
pub(super) fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let (Some(year), Some(month), Some(day), Some(hour), Some(min), Some(sec)) = (
        num(0, 4),
        num(5, 2),
        num(8, 2),
        num(11, 2),
        num(14, 2),
        num(17, 2),
    ) else {
        return false;
    };
    if !(at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return false;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days || hour > 23 || min > 59 || sec > 59 {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        let from = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == from {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && at(i + 3, b':')
                && num(i + 1, 2).is_some_and(|h| h <= 23)
                && num(i + 4, 2).is_some_and(|m| m <= 59)
        }
        _ => false,
    }
}

//! Just enough Kubernetes protobuf to read the review objects kubectl's typed clients send
//! (`kubectl auth can-i`, `kubectl auth whoami` post them as
//! `application/vnd.kubernetes.protobuf`). Answers are JSON, which those clients accept.

use serde_json::{Map, Value, json};

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn fields(buf: &[u8]) -> Option<Vec<(u64, Field<'_>)>> {
    let mut out = vec![];
    let mut pos = 0;
    while pos < buf.len() {
        let tag = varint(buf, &mut pos)?;
        let (num, wt) = (tag >> 3, tag & 7);
        match wt {
            0 => out.push((num, Field::Varint(varint(buf, &mut pos)?))),
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).ok()?;
                let end = pos.checked_add(len)?;
                out.push((num, Field::Bytes(buf.get(pos..end)?)));
                pos = end;
            }
            1 => pos = pos.checked_add(8)?,
            5 => pos = pos.checked_add(4)?,
            _ => return None,
        }
    }
    Some(out)
}

fn strings(buf: &[u8], names: &[(u64, &str)]) -> Option<Map<String, Value>> {
    let mut m = Map::new();
    for (n, f) in fields(buf)? {
        if let (Some((_, name)), Field::Bytes(b)) = (names.iter().find(|(x, _)| *x == n), f) {
            m.insert(name.to_string(), json!(String::from_utf8_lossy(b)));
        }
    }
    Some(m)
}

/// `k8s\0` + runtime.Unknown → (apiVersion, kind, raw message).
fn unwrap(body: &[u8]) -> Option<(String, String, &[u8])> {
    let inner = body.strip_prefix(b"k8s\x00")?;
    let mut av = String::new();
    let mut kind = String::new();
    let mut raw: &[u8] = &[];
    for (n, f) in fields(inner)? {
        match (n, f) {
            (1, Field::Bytes(tm)) => {
                let m = strings(tm, &[(1, "apiVersion"), (2, "kind")])?;
                av = m
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                kind = m
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
            }
            (2, Field::Bytes(r)) => raw = r,
            _ => {}
        }
    }
    Some((av, kind, raw))
}

/// Decodes a review object into its JSON form (None: not one we know).
pub fn decode_review(body: &[u8]) -> Option<Value> {
    let (av, kind, raw) = unwrap(body)?;
    let mut spec = Map::new();
    for (n, f) in fields(raw)? {
        let (2, Field::Bytes(s)) = (n, f) else {
            continue;
        };
        match kind.as_str() {
            "SelfSubjectAccessReview" => {
                for (sn, sf) in fields(s)? {
                    match (sn, sf) {
                        (1, Field::Bytes(ra)) => {
                            let m = strings(
                                ra,
                                &[
                                    (1, "namespace"),
                                    (2, "verb"),
                                    (3, "group"),
                                    (4, "version"),
                                    (5, "resource"),
                                    (6, "subresource"),
                                    (7, "name"),
                                ],
                            )?;
                            spec.insert("resourceAttributes".into(), Value::Object(m));
                        }
                        (2, Field::Bytes(nra)) => {
                            let m = strings(nra, &[(1, "path"), (2, "verb")])?;
                            spec.insert("nonResourceAttributes".into(), Value::Object(m));
                        }
                        _ => {}
                    }
                }
            }
            "SelfSubjectRulesReview" => {
                spec = strings(s, &[(1, "namespace")])?;
            }
            _ => {}
        }
    }
    Some(json!({"apiVersion": av, "kind": kind, "metadata": {}, "spec": spec}))
}

fn string_map(entries: &[&[u8]], base64_values: bool) -> Option<Map<String, Value>> {
    use base64::Engine as _;
    let mut m = Map::new();
    for e in entries {
        let (mut k, mut v): (String, Value) = (String::new(), json!(""));
        for (n, f) in fields(e)? {
            match (n, f) {
                (1, Field::Bytes(b)) => k = String::from_utf8_lossy(b).to_string(),
                (2, Field::Bytes(b)) => {
                    v = if base64_values {
                        json!(base64::engine::general_purpose::STANDARD.encode(b))
                    } else {
                        json!(String::from_utf8_lossy(b))
                    }
                }
                _ => {}
            }
        }
        m.insert(k, v);
    }
    Some(m)
}

fn object_meta(buf: &[u8]) -> Option<Value> {
    let mut m = strings(buf, &[(1, "name"), (2, "generateName"), (3, "namespace")])?;
    let (mut labels, mut annotations, mut finalizers) = (vec![], vec![], vec![]);
    for (n, f) in fields(buf)? {
        match (n, f) {
            (11, Field::Bytes(b)) => labels.push(b),
            (12, Field::Bytes(b)) => annotations.push(b),
            (14, Field::Bytes(b)) => finalizers.push(json!(String::from_utf8_lossy(b))),
            _ => {}
        }
    }
    if !labels.is_empty() {
        m.insert("labels".into(), Value::Object(string_map(&labels, false)?));
    }
    if !annotations.is_empty() {
        m.insert(
            "annotations".into(),
            Value::Object(string_map(&annotations, false)?),
        );
    }
    if !finalizers.is_empty() {
        m.insert("finalizers".into(), Value::Array(finalizers));
    }
    Some(Value::Object(m))
}

/// Decodes the objects `kubectl create namespace|configmap|secret|serviceaccount` send
/// (None: another kind, or more than metadata and these kinds' data fields).
pub fn decode_object(body: &[u8]) -> Option<Value> {
    let (av, kind, raw) = unwrap(body)?;
    let mut obj = json!({"apiVersion": av, "kind": kind});
    let (mut data, mut bin, mut string_data) = (vec![], vec![], vec![]);
    for (n, f) in fields(raw)? {
        match (kind.as_str(), n, f) {
            (_, 1, Field::Bytes(b)) => obj["metadata"] = object_meta(b)?,
            ("Namespace", 2, Field::Bytes(b)) => {
                let fin: Vec<Value> = fields(b)?
                    .into_iter()
                    .filter_map(|(n, f)| match (n, f) {
                        (1, Field::Bytes(s)) => Some(json!(String::from_utf8_lossy(s))),
                        _ => None,
                    })
                    .collect();
                obj["spec"] = json!({"finalizers": fin});
            }
            ("Namespace", 3, _) => {}
            ("ConfigMap" | "Secret", 2, Field::Bytes(b)) => data.push(b),
            ("ConfigMap", 3, Field::Bytes(b)) => bin.push(b),
            ("ConfigMap" | "Secret", 4 | 5, Field::Varint(v))
                if (kind == "ConfigMap") == (n == 4) =>
            {
                obj["immutable"] = json!(v != 0)
            }
            ("Secret", 3, Field::Bytes(b)) => obj["type"] = json!(String::from_utf8_lossy(b)),
            ("Secret", 4, Field::Bytes(b)) => string_data.push(b),
            ("ServiceAccount", 3, Field::Varint(v)) => {
                obj["automountServiceAccountToken"] = json!(v != 0)
            }
            _ => return None,
        }
    }
    if !matches!(
        kind.as_str(),
        "Namespace" | "ConfigMap" | "Secret" | "ServiceAccount"
    ) {
        return None;
    }
    if !data.is_empty() {
        obj["data"] = Value::Object(string_map(&data, kind == "Secret")?);
    }
    if !bin.is_empty() {
        obj["binaryData"] = Value::Object(string_map(&bin, true)?);
    }
    if !string_data.is_empty() {
        obj["stringData"] = Value::Object(string_map(&string_data, false)?);
    }
    Some(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld(num: u8, b: &[u8]) -> Vec<u8> {
        let mut v = vec![(num << 3) | 2, b.len() as u8];
        v.extend_from_slice(b);
        v
    }

    #[test]
    fn access_review() {
        let ra = [ld(1, b"default"), ld(2, b"list"), ld(5, b"pods")].concat();
        let spec = ld(1, &ra);
        let msg = ld(2, &spec);
        let tm = [
            ld(1, b"authorization.k8s.io/v1"),
            ld(2, b"SelfSubjectAccessReview"),
        ]
        .concat();
        let unknown = [ld(1, &tm), ld(2, &msg)].concat();
        let body = [b"k8s\x00".to_vec(), unknown].concat();
        let v = decode_review(&body).unwrap();
        assert_eq!(v["spec"]["resourceAttributes"]["verb"], "list");
        assert_eq!(v["spec"]["resourceAttributes"]["resource"], "pods");
        assert_eq!(v["kind"], "SelfSubjectAccessReview");
    }
}

//! Just enough Kubernetes protobuf to read the review objects kubectl's typed clients send
//! (`kubectl auth can-i`, `kubectl auth whoami` post them as
//! `application/vnd.kubernetes.protobuf`). Answers are JSON, which those clients accept.

use serde_json::{Map, Value, json};

enum Field<'a> {
    Varint(#[allow(dead_code)] u64),
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

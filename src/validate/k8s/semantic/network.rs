//! Networking rules: Service IPs, source ranges and per-type fields (ExternalName, nodePort),
//! NetworkPolicy CIDR exceptions (an `except` block strictly inside its `cidr`), Ingress
//! paths per path type, and the IP and CIDR syntax the API server accepts.

use std::net::IpAddr;

use serde_json::Value;

use super::Checker;
use super::{get, int_of, items, key, path_of, str_at};
use crate::document::{FieldPath, Node, NodeKind, Seg};

impl Checker<'_> {
    pub(super) fn service(&mut self, tree: &Node) {
        let spec = ["spec"];
        if let Some(ip) = get(tree, &["spec", "clusterIP"])
            && !matches!(&ip.kind, NodeKind::Scalar(Value::String(s)) if s.is_empty() || s == "None")
        {
            self.ip(ip, path_of(&spec, &[key("clusterIP")]));
        }
        for (i, ip) in items(get(tree, &["spec", "clusterIPs"])).iter().enumerate() {
            if !matches!(&ip.kind, NodeKind::Scalar(Value::String(s)) if s == "None") {
                self.ip(ip, path_of(&spec, &[key("clusterIPs"), Seg::Index(i)]));
            }
        }
        for (i, ip) in items(get(tree, &["spec", "externalIPs"]))
            .iter()
            .enumerate()
        {
            self.ip(ip, path_of(&spec, &[key("externalIPs"), Seg::Index(i)]));
        }
        if let Some(ip) = get(tree, &["spec", "loadBalancerIP"])
            && !matches!(&ip.kind, NodeKind::Scalar(Value::String(s)) if s.is_empty())
        {
            self.ip(ip, path_of(&spec, &[key("loadBalancerIP")]));
        }
        for (i, r) in items(get(tree, &["spec", "loadBalancerSourceRanges"]))
            .iter()
            .enumerate()
        {
            self.cidr(
                r,
                path_of(&spec, &[key("loadBalancerSourceRanges"), Seg::Index(i)]),
            );
        }
        let ty = str_at(tree, &["spec", "type"]).unwrap_or("ClusterIP");
        if ty == "ExternalName" && str_at(tree, &["spec", "externalName"]).is_none() {
            self.error(
                path_of(&spec, &[key("externalName")]),
                "a Service of type ExternalName needs spec.externalName".to_string(),
            );
        }
        if ty == "ClusterIP" {
            for (i, p) in items(get(tree, &["spec", "ports"])).iter().enumerate() {
                if p.get("nodePort").and_then(int_of).is_some_and(|n| n != 0) {
                    self.error(
                        path_of(&spec, &[key("ports"), Seg::Index(i), key("nodePort")]),
                        "nodePort may only be set on a NodePort or LoadBalancer Service"
                            .to_string(),
                    );
                }
            }
        }
    }

    pub(super) fn network_policy(&mut self, tree: &Node) {
        for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
            for (ri, rule) in items(get(tree, &["spec", dir])).iter().enumerate() {
                for (pi, peer) in items(rule.get(peers)).iter().enumerate() {
                    let Some(block) = peer.get("ipBlock") else {
                        continue;
                    };
                    let base = [
                        key(dir),
                        Seg::Index(ri),
                        key(peers),
                        Seg::Index(pi),
                        key("ipBlock"),
                    ];
                    let Some(cidr_node) = block.get("cidr") else {
                        continue;
                    };
                    let mut at = base.to_vec();
                    at.push(key("cidr"));
                    let Some(outer) = self.cidr(cidr_node, path_of(&["spec"], &at)) else {
                        continue;
                    };
                    for (ei, e) in items(block.get("except")).iter().enumerate() {
                        let mut at = base.to_vec();
                        at.extend([key("except"), Seg::Index(ei)]);
                        let path = path_of(&["spec"], &at);
                        if let Some(inner) = self.cidr(e, path.clone())
                            && !strictly_within(inner, outer)
                        {
                            self.error(
                                path,
                                "except must be a strict subset of the ipBlock's cidr".to_string(),
                            );
                        }
                    }
                }
            }
        }
    }

    pub(super) fn ingress(&mut self, tree: &Node) {
        for (ri, rule) in items(get(tree, &["spec", "rules"])).iter().enumerate() {
            for (pi, p) in items(get(rule, &["http", "paths"])).iter().enumerate() {
                let ty = str_at(p, &["pathType"]).unwrap_or_default();
                if let Some(path) = str_at(p, &["path"])
                    && matches!(ty, "Prefix" | "Exact")
                    && !path.starts_with('/')
                {
                    self.error(
                        path_of(
                            &["spec"],
                            &[
                                key("rules"),
                                Seg::Index(ri),
                                key("http"),
                                key("paths"),
                                Seg::Index(pi),
                                key("path"),
                            ],
                        ),
                        format!("a {ty} path must be absolute (start with '/'), got {path:?}"),
                    );
                }
            }
        }
    }

    /// An IP address; non-strings are left to the schema check.
    pub(super) fn ip(&mut self, n: &Node, path: FieldPath) {
        if let NodeKind::Scalar(Value::String(s)) = &n.kind
            && parse_ip(s).is_none()
        {
            self.error(path, format!("invalid IP address {s:?}"));
        }
    }

    /// A CIDR (`10.0.0.0/8`, `2001:db8::/32`); returns it when valid.
    pub(super) fn cidr(&mut self, n: &Node, path: FieldPath) -> Option<(IpAddr, u8)> {
        let NodeKind::Scalar(Value::String(s)) = &n.kind else {
            return None;
        };
        let parsed = parse_cidr(s);
        if parsed.is_none() {
            self.error(
                path,
                format!(
                    "invalid CIDR {s:?}: expected an address and a prefix length, e.g. 10.0.0.0/16"
                ),
            );
        }
        parsed
    }
}

/// Parses an IP; IPv4 octets with leading zeros (accepted by older Kubernetes) are read as
/// decimal.
pub(super) fn parse_ip(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    let octets: Vec<u8> = s
        .split('.')
        .map(|o| {
            if o.is_empty() || o.len() > 3 || !o.bytes().all(|c| c.is_ascii_digit()) {
                None
            } else {
                o.parse().ok()
            }
        })
        .collect::<Option<_>>()?;
    let [a, b, c, d] = octets[..] else {
        return None;
    };
    Some(IpAddr::from([a, b, c, d]))
}

pub(super) fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = s.split_once('/')?;
    let ip = parse_ip(addr)?;
    if prefix.is_empty() || !prefix.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let prefix: u8 = prefix.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (prefix <= max).then_some((ip, prefix))
}

pub(super) fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
        IpAddr::V6(v) => (u128::from(v), 128),
    }
}

/// Is `inner` a strict subset of `outer` (same family, longer prefix, same network)?
pub(super) fn strictly_within(inner: (IpAddr, u8), outer: (IpAddr, u8)) -> bool {
    let ((ia, iw), (oa, ow)) = (bits(inner.0), bits(outer.0));
    if iw != ow || inner.1 <= outer.1 {
        return false;
    }
    let shift = u32::from(iw - outer.1);
    let net = |a: u128| a.checked_shr(shift).unwrap_or(0);
    net(ia) == net(oa)
}

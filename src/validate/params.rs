//! Parameters of the business rules for an environment: the built-in defaults of its family
//! (prod, staging, dev), overlaid with `[validate.environments.<env>]` from the settings.

use std::collections::BTreeMap;

/// Canonical environment family: `prod`, `staging`, `dev` or the name itself.
pub fn environment_family(env: &str) -> String {
    match env.to_ascii_lowercase().as_str() {
        "prod" | "production" | "prd" | "live" => "prod".to_string(),
        "staging" | "stage" | "stg" | "preprod" | "pre-prod" | "uat" => "staging".to_string(),
        "dev" | "development" | "local" => "dev".to_string(),
        other => other.to_string(),
    }
}

/// The business-rule parameters for `env`: the built-in defaults of its family, overlaid
/// with `[validate.environments.<env>]` (kebab-case keys become snake_case).
pub fn business_params(
    env: Option<&str>,
    environments: &BTreeMap<String, toml::Table>,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::json;
    let mut params = serde_json::Map::new();
    let Some(env) = env else {
        return params;
    };
    let defaults = match environment_family(env).as_str() {
        "prod" => json!({
            "min_replicas": 2, "require_limits": true, "require_requests": true,
            "forbid_latest": true, "forbid_debug": true, "require_probes": true,
            "require_pdb": true, "require_tls": true,
        }),
        "staging" => json!({
            "min_replicas": 1, "require_limits": true, "forbid_latest": true,
            "forbid_debug": true,
        }),
        _ => json!({}),
    };
    if let serde_json::Value::Object(m) = defaults {
        params.extend(m);
    }
    let table = environments
        .get(env)
        .or_else(|| environments.get(&environment_family(env)));
    if let Some(t) = table {
        for (k, v) in t {
            params.insert(k.replace('-', "_"), toml_to_json(v));
        }
    }
    params
}

fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(i) => serde_json::Value::from(*i),
        toml::Value::Float(f) => serde_json::Value::from(*f),
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(a) => serde_json::Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => serde_json::Value::Object(
            t.iter()
                .map(|(k, v)| (k.replace('-', "_"), toml_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_tables_overlay_the_family_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("confgate.toml");
        std::fs::write(
            &p,
            "fail-on = \"high\"\n[validate]\nstrict = true\n[[validate.schemas]]\nkey = \"app.json\"\nschema = \"s.json\"\n[validate.environments.prod]\nmin-replicas = 3\n",
        )
        .unwrap();
        let c = crate::settings::read_config(&p).unwrap().validate.unwrap();
        assert_eq!(c.strict, Some(true));
        assert_eq!(c.schemas[0].key.as_deref(), Some("app.json"));
        let params = business_params(Some("prod"), &c.environments);
        assert_eq!(params["min_replicas"], 3);
        assert_eq!(params["require_limits"], true);

        std::fs::write(&p, "[validate]\nstrict = true\nstirct = false\n").unwrap();
        let e = crate::settings::read_config(&p).unwrap_err();
        assert_eq!(e.line_number(), Some(3));
        assert!(e.message.contains("stirct"), "{e}");
    }

    #[test]
    fn defaults_follow_the_environment_family() {
        assert_eq!(
            business_params(Some("production"), &BTreeMap::new())["min_replicas"],
            2
        );
        assert_eq!(
            business_params(Some("stage"), &BTreeMap::new())["min_replicas"],
            1
        );
        assert!(business_params(Some("dev"), &BTreeMap::new()).is_empty());
        assert!(business_params(None, &BTreeMap::new()).is_empty());
    }
}

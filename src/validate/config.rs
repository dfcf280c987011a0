//! The `[validate]` section of `confgate.toml`.
//!
//! ```toml
//! [validate]
//! config-dir = "generated/{environment}"   # default for --config-dir
//! strict = false                           # unknown fields and warnings are errors
//! security-compliance = false              # add the scan's findings
//! kube-version = "1.37"                    # default: the top-level kube-version, else newest
//! business-policy = ["policies/business"]  # your own business rules (package confgate.business)
//! builtin-business-rules = true            # the shipped rules (policies/business)
//!
//! [[validate.schemas]]                     # JSON Schemas for ConfigMap data
//! configmap = "shop-*"                     # glob on the ConfigMap name (default: any)
//! namespace = "shop-prod"                  # glob on its namespace (default: any)
//! key = "app.json"                         # glob on the data key (default: keys holding JSON/YAML)
//! schema = "schemas/app-config.schema.json"
//!
//! [validate.environments.prod]             # parameters of the business rules
//! min-replicas = 3
//! required-labels = ["team", "app.kubernetes.io/name"]
//! ```
//!
//! Paths are relative to the file's directory; `{environment}` is replaced in `config-dir`.
//! Unknown keys are errors naming their line (except inside `environments.*`, which are free
//! parameters for business rules, your own included).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// The `[validate]` table.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ValidateConfig {
    pub config_dir: Option<String>,
    pub strict: Option<bool>,
    pub security_compliance: Option<bool>,
    pub kube_version: Option<String>,
    pub business_policy: Option<Vec<String>>,
    pub builtin_business_rules: Option<bool>,
    #[serde(default)]
    pub schemas: Vec<SchemaMapping>,
    #[serde(default)]
    pub environments: BTreeMap<String, toml::Table>,
}

/// Which ConfigMap keys a JSON Schema applies to.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SchemaMapping {
    pub configmap: Option<String>,
    pub namespace: Option<String>,
    pub key: Option<String>,
    pub schema: String,
}

#[derive(Deserialize)]
struct Outer {
    #[serde(default)]
    validate: Option<ValidateConfig>,
}

/// Reads the `[validate]` section of a config file (`None` when it has none).
pub fn read(path: &Path) -> Result<Option<ValidateConfig>, crate::settings::SettingsError> {
    let outer: Outer = crate::settings::read_toml(path, "[validate]")?;
    Ok(outer.validate)
}

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
    config: Option<&ValidateConfig>,
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
    let table = config.and_then(|c| {
        c.environments
            .get(env)
            .or_else(|| c.environments.get(&environment_family(env)))
    });
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
    fn section_is_read_and_unknown_keys_are_errors_with_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("confgate.toml");
        std::fs::write(
            &p,
            "fail-on = \"high\"\n[validate]\nstrict = true\n[[validate.schemas]]\nkey = \"app.json\"\nschema = \"s.json\"\n[validate.environments.prod]\nmin-replicas = 3\n",
        )
        .unwrap();
        let c = read(&p).unwrap().unwrap();
        assert_eq!(c.strict, Some(true));
        assert_eq!(c.schemas[0].key.as_deref(), Some("app.json"));
        let params = business_params(Some("prod"), Some(&c));
        assert_eq!(params["min_replicas"], 3);
        assert_eq!(params["require_limits"], true);

        std::fs::write(&p, "[validate]\nstrict = true\nstirct = false\n").unwrap();
        let e = read(&p).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("stirct"), "{e}");
    }

    #[test]
    fn defaults_follow_the_environment_family() {
        assert_eq!(business_params(Some("production"), None)["min_replicas"], 2);
        assert_eq!(business_params(Some("stage"), None)["min_replicas"], 1);
        assert!(business_params(Some("dev"), None).is_empty());
        assert!(business_params(None, None).is_empty());
    }
}

# Shared helpers for secret detection: well-known credential formats, names that suggest a
# secret, and values that are placeholders rather than secrets. Findings name the key,
# never the value.
package confgate.lib.secrets

# Well-known credential formats, by description.
patterns := {
	"AWS access key ID": `(^|[^A-Z0-9])(AKIA|ASIA)[0-9A-Z]{16}([^A-Z0-9]|$)`,
	"GitHub token": `(^|[^A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})`,
	"GitLab token": `(^|[^A-Za-z0-9_])glpat-[0-9A-Za-z_-]{20,}`,
	"private key": `-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----`,
	"Slack token": `(^|[^A-Za-z0-9])xox[baprs]-[0-9]{6,}-[0-9A-Za-z-]{6,}`,
	"Google API key": `(^|[^A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}`,
	"Stripe live key": `(^|[^A-Za-z0-9])(sk|rk)_live_[0-9A-Za-z]{20,}`,
}

# Cheap pre-check covering every pattern above.
any_pattern := `AKIA|ASIA|gh[pousr]_|github_pat_|glpat-|PRIVATE KEY|xox[baprs]-|AIza|_live_`

# Descriptions of the credential formats found in `value` (empty for non-strings).
found(value) := {name |
	is_string(value)
	regex.match(any_pattern, value)
	some name, re in patterns
	regex.match(re, value)
}

# `value` contains a well-known credential format.
has_credential(value) if count(found(value)) > 0

# Description of the first credential format found, for messages.
credential_kind(value) := sort(found(value))[0]

# A name that suggests a secret value (password, token, API key, ...), excluding names of
# things about secrets (a secret's name, a token's URL, a password's file).
name_looks_secret(name) if {
	is_string(name)
	regex.match(`(?i)(passw(or)?d|passphrase|pwd|secret|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|auth[_.-]?key|credential|signing[_.-]?key|encryption[_.-]?key|master[_.-]?key)`, name)
	not regex.match(`(?i)([_.-]|[a-z0-9])(name|names|file|files|path|paths|dir|url|uri|urls|endpoint|host|ref|id|ids|arn|ttl|timeout|length|len|enabled|enable|disabled|type|mode|format|header|version|count|size|expiry|expiration|expires|lifetime|duration|seconds|period|interval|policy|field|label|prefix|suffix|required|provider|store|kind|source|location|mount|volume|template|rotation|generator|secretname|secret_name)$`, name)
	not regex.match(`(?i)^(use|enable|disable|require|allow|skip|is|has|no|with|create)[_.-]`, name)
	not regex.match(`^(use|enable|disable|require|allow|skip|is|has|no|with|create)[A-Z]`, name)
	not regex.match(`\.[A-Za-z0-9]{1,5}$`, name)
}

# Values that are placeholders, references or non-secret settings rather than secrets.
placeholder(value) if not is_string(value)

placeholder(value) if {
	is_string(value)
	placeholder_text(trim_space(value))
}

placeholder_text(v) if count(v) < 4

# The same character repeated (xxxx, ****).
placeholder_text(v) if {
	count(v) > 0
	replace(v, substring(v, 0, 1), "") == ""
}

placeholder_text(v) if regex.match(`^(\$|\{\{|<|%|@|#)`, v)

placeholder_text(v) if regex.match(`\s`, v)

placeholder_text(v) if regex.match(`^[0-9]+(\.[0-9]+)?[a-zA-Z]{0,2}$`, v)

placeholder_text(v) if regex.match(`(?i)^(true|false|yes|no|on|off|none|null|nil|empty|redacted|secret|password|token|example|sample|placeholder|dummy|test|changeme|change[_-]me|replace[_-]?me|todo|tbd|fixme|disabled|enabled|required|optional|unset|default)$`, v)

# A variable or setting name rather than a value (HF_TOKEN, INSERT_TOKEN_HERE).
placeholder_text(v) if regex.match(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`, v)

placeholder_text(v) if regex.match(`(?i)(^your|your[_-]|example|placeholder|replace[_-]?(me|this|with)|changeme|change[_-]me|<[a-z_-]+>)`, v)

# References to a secret store, files or URLs rather than the secret itself.
placeholder_text(v) if regex.match(`(?i)^(/|\./|~/|file:|vault:|ref\+|secretref|awssm|gcpsm|sm://|arn:aws|projects/[^/]+/secrets/|https?://[^:@/]+([:/]|$)|azurekeyvault|keyvault:)`, v)

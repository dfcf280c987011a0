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
	"Slack token": `(^|[^A-Za-z0-9])xox[abposr]-[0-9]{6,}-[0-9A-Za-z-]{6,}`,
	"Slack webhook URL": `https://hooks\.slack\.com/services/T[0-9A-Z]{6,}/B[0-9A-Z]{6,}/[0-9A-Za-z]{20,}`,
	"Google API key": `(^|[^A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}`,
	"Stripe live key": `(^|[^A-Za-z0-9])(sk|rk)_live_[0-9A-Za-z]{20,}`,
	"SendGrid API key": `(^|[^A-Za-z0-9])SG\.[0-9A-Za-z_-]{22}\.[0-9A-Za-z_-]{43}`,
	"npm token": `(^|[^A-Za-z0-9_])npm_[0-9A-Za-z]{36}`,
	"JSON Web Token": `(^|[^A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}`,
}

# Cheap pre-check covering every pattern above.
any_pattern := `AKIA|ASIA|gh[pousr]_|github_pat_|glpat-|PRIVATE KEY|xox[abposr]-|hooks\.slack\.com|AIza|_live_|SG\.|npm_|eyJ`

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
	not regex.match(`(?i)([_.-]|[a-z0-9])(name|names|file|files|path|paths|dir|url|uri|urls|endpoint|host|ref|id|ids|arn|ttl|timeout|length|len|enabled|enable|disabled|type|mode|format|header|version|count|size|expiry|expiration|expires|lifetime|duration|seconds|period|interval|policy|field|label|prefix|suffix|required|provider|store|kind|source|location|mount|volume|template|rotation|generator|secretname|secret_name|stdin|env|var)$`, name)
	not regex.match(`(?i)^(use|enable|disable|require|allow|skip|is|has|no|with|create)[_.-]`, name)
	not regex.match(`^(use|enable|disable|require|allow|skip|is|has|no|with|create)[A-Z]`, name)
	not regex.match(`\.[A-Za-z0-9]{1,5}$`, name)
	# Tokenizers and token counts of language models are not credentials.
	not regex.match(`(?i)tokeni[sz]|tokens?[_.-]?(limit|count|budget|per|length|len)|(max|min|num|n)[_.-]?(new[_.-]?)?tokens?$`, name)
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

# Shannon entropy of a string in bits per character (over its first 256 characters). Rego
# has no logarithm, so log2 of the character counts comes from a table:
# H = log2(n) - (1/n) * sum(c * log2(c)) over the count c of each distinct character.
entropy(s) := h if {
	is_string(s)
	t := substring(s, 0, 256)
	chars := split(t, "")
	n := count(chars)
	n > 1
	sum_c_log_c := sum([v |
		some ch in {x | some x in chars}
		c := count(split(t, ch)) - 1
		v := c * log2_table[c]
	])
	h := log2_table[n] - (sum_c_log_c / n)
	is_number(h)
} else := 0

# log2(k) for k in 0..256 (log2(0) is taken as 0).
log2_table := [
	0, 0, 1.0, 1.584963, 2.0, 2.321928, 2.584963, 2.807355, 3.0, 3.169925, 3.321928, 3.459432,
	3.584963, 3.70044, 3.807355, 3.906891, 4.0, 4.087463, 4.169925, 4.247928, 4.321928, 4.392317, 4.459432, 4.523562,
	4.584963, 4.643856, 4.70044, 4.754888, 4.807355, 4.857981, 4.906891, 4.954196, 5.0, 5.044394, 5.087463, 5.129283,
	5.169925, 5.209453, 5.247928, 5.285402, 5.321928, 5.357552, 5.392317, 5.426265, 5.459432, 5.491853, 5.523562, 5.554589,
	5.584963, 5.61471, 5.643856, 5.672425, 5.70044, 5.72792, 5.754888, 5.78136, 5.807355, 5.83289, 5.857981, 5.882643,
	5.906891, 5.930737, 5.954196, 5.97728, 6.0, 6.022368, 6.044394, 6.066089, 6.087463, 6.108524, 6.129283, 6.149747,
	6.169925, 6.189825, 6.209453, 6.228819, 6.247928, 6.266787, 6.285402, 6.303781, 6.321928, 6.33985, 6.357552, 6.375039,
	6.392317, 6.409391, 6.426265, 6.442943, 6.459432, 6.475733, 6.491853, 6.507795, 6.523562, 6.539159, 6.554589, 6.569856,
	6.584963, 6.599913, 6.61471, 6.629357, 6.643856, 6.658211, 6.672425, 6.686501, 6.70044, 6.714246, 6.72792, 6.741467,
	6.754888, 6.768184, 6.78136, 6.794416, 6.807355, 6.820179, 6.83289, 6.84549, 6.857981, 6.870365, 6.882643, 6.894818,
	6.906891, 6.918863, 6.930737, 6.942515, 6.954196, 6.965784, 6.97728, 6.988685, 7.0, 7.011227, 7.022368, 7.033423,
	7.044394, 7.055282, 7.066089, 7.076816, 7.087463, 7.098032, 7.108524, 7.118941, 7.129283, 7.139551, 7.149747, 7.159871,
	7.169925, 7.179909, 7.189825, 7.199672, 7.209453, 7.219169, 7.228819, 7.238405, 7.247928, 7.257388, 7.266787, 7.276124,
	7.285402, 7.294621, 7.303781, 7.312883, 7.321928, 7.330917, 7.33985, 7.348728, 7.357552, 7.366322, 7.375039, 7.383704,
	7.392317, 7.400879, 7.409391, 7.417853, 7.426265, 7.434628, 7.442943, 7.451211, 7.459432, 7.467606, 7.475733, 7.483816,
	7.491853, 7.499846, 7.507795, 7.5157, 7.523562, 7.531381, 7.539159, 7.546894, 7.554589, 7.562242, 7.569856, 7.577429,
	7.584963, 7.592457, 7.599913, 7.60733, 7.61471, 7.622052, 7.629357, 7.636625, 7.643856, 7.651052, 7.658211, 7.665336,
	7.672425, 7.67948, 7.686501, 7.693487, 7.70044, 7.707359, 7.714246, 7.721099, 7.72792, 7.73471, 7.741467, 7.748193,
	7.754888, 7.761551, 7.768184, 7.774787, 7.78136, 7.787903, 7.794416, 7.8009, 7.807355, 7.813781, 7.820179, 7.826548,
	7.83289, 7.839204, 7.84549, 7.851749, 7.857981, 7.864186, 7.870365, 7.876517, 7.882643, 7.888743, 7.894818, 7.900867,
	7.906891, 7.912889, 7.918863, 7.924813, 7.930737, 7.936638, 7.942515, 7.948367, 7.954196, 7.960002, 7.965784, 7.971544,
	7.97728, 7.982994, 7.988685, 7.994353, 8.0,
]

# A value random enough to be a generated secret: at least 16 characters, hex strings with
# at least 3 bits per character, anything else with at least 3.5.
high_entropy(v) if {
	is_string(v)
	count(v) >= 16
	regex.match(`^[0-9a-fA-F]+$`, v)
	entropy(v) >= 3
}

high_entropy(v) if {
	is_string(v)
	count(v) >= 16
	not regex.match(`^[0-9a-fA-F]+$`, v)
	entropy(v) >= 3.5
}

# An object read from a live cluster rather than written by hand: the API server sets these.
live_object(obj) if obj.metadata.uid

live_object(obj) if obj.metadata.resourceVersion

live_object(obj) if obj.metadata.creationTimestamp

# A URL with a literal password in its user info (scheme://user:password@host), or a
# credential in its query string (?token=..., &password=...). Templated values ($(VAR),
# ${VAR}, {{ }}) and placeholders do not count.
url_credential(value) if {
	is_string(value)
	contains(value, "://")
	some m in regex.find_all_string_submatch_n(`[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@"'<>]*:([^/\s@"'<>]+)@[^\s"'/@]`, value, 10)
	literal_value(m[1])
}

url_credential(value) if {
	is_string(value)
	contains(value, "=")
	regex.match(`(?i)[?&](password|passwd|pwd|token|access_token|auth_token|api_key|apikey|api-key|secret|client_secret|sig)=`, value)
	some m in regex.find_all_string_submatch_n(`(?i)[?&](?:password|passwd|pwd|token|access_token|auth_token|api_key|apikey|api-key|secret|client_secret|sig)=([^&\s"'#<>]+)`, value, 10)
	literal_value(m[1])
}

# Placeholders seen in connection-string examples and templates.
url_placeholder(v) if regex.match(`(?i)^(\*+|x+|\.\.\.|pass|pw|pwd|passwd|password\d*|secret|token|pass(word)?_?here|your[_-]?.*|my[_-]?pass(word)?|%.*|\{.*|<.*|\[.*|:.*)$`, v)

# A literal secret value rather than a reference ($(VAR), ${VAR}, $VAR), a template, another
# flag or a placeholder.
literal_value(v) if {
	is_string(v)
	not startswith(v, "-")
	not contains(v, "$")
	not placeholder(v)
	not url_placeholder(v)
}

# A secret-looking setting inside a configuration held in a ConfigMap value, a whole file
# or a single line: "key = value", "key: value", "\"key\": \"value\"", "KEY=value" or
# "export KEY=value" lines (env files, properties, INI, YAML) whose key suggests a secret and
# whose value is a literal: random enough to be a generated secret ("why": "random"), or any
# literal that is not a placeholder, reference or template when the key names a password
# itself ("why": "password"). Yields {"line": n, "key": k, "why": w}, never the value.
config_file_secrets(text) := {{"line": a.line, "key": a.key, "why": why} |
	some a in config_assignments(text)
	why := config_secret_why(a)
}

# Why an assignment is reported (undefined when it is not). One comprehension with this
# helper rather than a union of two: regorus's VM can drop the second operand's results.
config_secret_why(a) := "random" if {
	name_looks_secret(a.key)
	high_entropy(a.value)
} else := "password" if {
	password_key(a.key)
	not high_entropy(a.value)
}

# The literal assignments of a text: {"line", "key", "value"}.
config_assignments(text) := {{"line": i + 1, "key": key, "value": value} |
	is_string(text)
	count(text) < 262144
	regex.match(`(?i)(pass|pwd|secret|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|auth[_.-]?key|credential|signing[_.-]?key|encryption[_.-]?key|master[_.-]?key)`, text)
	some i, line in split(text, "\n")
	count(line) < 2048
	some m in regex.find_all_string_submatch_n(`^\s*(?:export\s+)?["']?([A-Za-z0-9_.-]+)["']?\s*[:=]\s*["']?([^"'\s,;]+)["']?\s*,?\s*$`, line, 1)
	key := m[1]
	value := m[2]
	literal_value(value)
	not weak_placeholder(value)
	# A token-like value, not code (calls, indexing, templates).
	regex.match(`^[A-Za-z0-9+/=_.~:@!#%^*-]+$`, value)
	not has_credential(value)
	not url_credential(value)
}

# A key that names a password itself (its last word is password, passwd, pwd, pass or
# passphrase): DB_PASSWORD, spring.datasource.password, redisPassword, admin-pass.
password_key(key) if {
	regex.match(`(?i)(^|[_.-])(passw(or)?d|pwd|pass|passphrase)$`, key)
}

password_key(key) if {
	regex.match(`[a-z0-9](Passw(or)?d|Pwd|Pass|Passphrase)$`, key)
}

# Values that stand for "no password here" in configuration files: masks, well-known
# placeholders, file references and booleans, on top of what placeholder() knows.
weak_placeholder(v) if url_placeholder(v)

weak_placeholder(v) if regex.match(`(?i)^(\*+|x+|\.+|-+|null|none|nil|undefined|empty|unset|redacted|hidden|masked|secret|password|passwd|pass|pwd)$`, v)

weak_placeholder(v) if regex.match(`(?i)^(env|secret|file|vault|aws|gcp|azure|k8s|sops|op)[:@]`, v)

# Secret-looking command-line flags (--password=..., --token ...) and shell assignments
# (DB_PASSWORD=..., export API_KEY=...) with a literal value inside one string, such as a
# shell script passed to `sh -c`: yields the flag or variable names, never the values.
inline_secret_names(s) := flag_secret_names(s) | mysql_secret_names(s)

flag_secret_names(s) := {name |
	is_string(s)
	regex.match(`(?i)(passw|pwd|secret|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|credential)`, s)
	some re in [
		`(?:^|\s)--?([A-Za-z][A-Za-z0-9_.-]*)(?:=|\s+)("[^"]*"|'[^']*'|[^\s"';&|)]+)`,
		`(?:^|[\s;&|(])(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s"';&|)]+)`,
	]
	some m in regex.find_all_string_submatch_n(re, s, 20)
	name := m[1]
	name_looks_secret(name)
	literal_value(trim(m[2], `"'`))
}

# MySQL clients given the password on the command line (mysql -uroot -ps3cret).
mysql_secret_names(s) := {"-p (MySQL password)" |
	is_string(s)
	contains(s, "mysql")
	some m in regex.find_all_string_submatch_n(`\bmysql(?:admin|dump|sh)?\b[^;&|\n]*?\s-p([^\s"';&|$-][^\s"';&|]*)`, s, 5)
	literal_value(m[1])
}

# Key material a Secret manifest should not carry in a repository: what it is, for a value of
# `data` (base64) or `stringData` (plain text) under `key` in a Secret of type `type`.
# Values of `data` are decoded only as far as needed (the first 128 base64 characters for
# PEM headers), and only when they are valid base64.
key_material(type, field, key, value) := "a TLS private key" if {
	type == "kubernetes.io/tls"
	key == "tls.key"
	material_present(field, value)
} else := "an SSH private key" if {
	type == "kubernetes.io/ssh-auth"
	key == "ssh-privatekey"
	material_present(field, value)
} else := "container registry credentials" if {
	key in {".dockerconfigjson", ".dockercfg"}
	material_present(field, value)
	registry_auth(field, value)
} else := "a private key" if {
	regex.match(`-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY`, material_text(field, value, 128))
} else := "a kubeconfig with credentials" if {
	regex.match(`(?i)kubeconfig|^config$`, key)
	text := material_text(field, value, 87380)
	contains(text, "clusters:")
	regex.match(`(client-key-data|token|password)\s*:`, text)
}

# The value holds something (not empty, not a template to be filled in at deploy time).
material_present(field, value) if {
	is_string(value)
	v := trim_space(value)
	v != ""
	not regex.match(`^(\$\{|\$\(|\{\{|<[A-Za-z_-]+>$)`, v)
	not empty_json_base64(field, v)
}

empty_json_base64("data", v) if v in {"e30=", "e30K"}

# The registry credentials carry an auth string, a password or an identity token.
registry_auth(field, value) if regex.match(`"(auth|password|identitytoken)"\s*:\s*"[^"]+`, material_text(field, value, 87380))

# The text of a value: plain for stringData (its first `limit` characters), decoded for data
# (its first `limit` base64 characters; `limit` is a multiple of 4, and whole groups of four
# base64 characters decode on their own),
# "" when there is none. (Each branch ends in a test on a bound variable: regorus's VM does
# not fall through to `else` when a branch ends in a test of an undefined reference.)
material_text(field, value, limit) := text if {
	field == "stringData"
	is_string(value)
	text := substring(value, 0, limit)
	is_string(text)
} else := text if {
	field == "data"
	is_string(value)
	prefix := substring(value, 0, limit)
	base64.is_valid(prefix)
	text := base64.decode(prefix)
	is_string(text)
} else := ""

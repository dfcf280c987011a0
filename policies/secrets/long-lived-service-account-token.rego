package confgate.rules.secrets

deny contains f if {
	input.kind == "Secret"
	input.type == "kubernetes.io/service-account-token"
	f := {
		"id": "CG4011",
		"msg": sprintf("Secret %q requests a token for ServiceAccount %q that never expires; use short-lived tokens from the TokenRequest API (projected volumes) instead", [data.confgate.lib.k8s.name, data.confgate.lib.k8s.text(object.get(data.confgate.lib.k8s.annotations(input), "kubernetes.io/service-account.name", ""))]),
		"path": ["type"],
	}
}

package confgate.rules.bestpractice

deny contains f if {
	some p in data.confgate.lib.k8s.pods
	not p.spec.automountServiceAccountToken == false
	not service_account_token_automount_off_in_sa(p.spec)
	f := {
		"id": "CG5009",
		"msg": sprintf("%s %q mounts a service account token into its pods; set automountServiceAccountToken: false unless it calls the Kubernetes API", [input.kind, data.confgate.lib.k8s.name]),
		"path": array.concat(p.path, ["automountServiceAccountToken"]),
	}
}

# The pod does not say, and its ServiceAccount (when part of the scan) turns it off.
service_account_token_automount_off_in_sa(spec) if {
	not "automountServiceAccountToken" in object.keys(spec)
	sa := service_account_token_automount_sa_name(spec)
	some sas in data.inventory.namespace[data.confgate.lib.k8s.namespace]
	sas.ServiceAccount[sa].automountServiceAccountToken == false
}

service_account_token_automount_sa_name(spec) := n if {
	n := spec.serviceAccountName
	is_string(n)
	n != ""
} else := n if {
	n := spec.serviceAccount
	is_string(n)
	n != ""
} else := "default"

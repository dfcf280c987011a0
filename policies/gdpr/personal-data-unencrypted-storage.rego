package confgate.rules.gdpr

# Provisioners whose platform encrypts every volume at rest (Google Cloud, Azure).
storage_encrypting_provisioners := {
	"pd.csi.storage.gke.io",
	"kubernetes.io/gce-pd",
	"filestore.csi.storage.gke.io",
	"disk.csi.azure.com",
	"kubernetes.io/azure-disk",
	"file.csi.azure.com",
	"kubernetes.io/azure-file",
}

deny contains f if {
	data.confgate.lib.gdpr.input_personal_data
	some claim in storage_claims
	sc := storage_class(claim.class)
	is_object(sc)
	not storage_class_encrypted(sc)
	f := {
		"id": "CG8005",
		"msg": sprintf("%s %q stores personal data on %s, whose StorageClass %q does not encrypt at rest (provisioner %s)", [input.kind, data.confgate.lib.k8s.name, claim.what, data.confgate.lib.k8s.text(object.get(sc, ["metadata", "name"], "")), data.confgate.lib.k8s.text(object.get(sc, "provisioner", ""))]),
		"path": claim.path,
	}
}

# The storage classes the input's pods use: PersistentVolumeClaims of the scan, generic
# ephemeral volumes and StatefulSet volume claim templates (the default class when they name
# none).
storage_claims contains {"class": class, "what": sprintf("PersistentVolumeClaim %q", [name]), "path": array.concat(p.path, ["volumes", i, "persistentVolumeClaim"])} if {
	some p in data.confgate.lib.k8s.pods
	some i, v in data.confgate.lib.k8s.list(p.spec.volumes)
	name := v.persistentVolumeClaim.claimName
	is_string(name)
	some pvc in data.confgate.lib.governance.namespaced(data.confgate.lib.k8s.namespace, "PersistentVolumeClaim")
	pvc.metadata.name == name
	class := storage_claim_class(data.confgate.lib.k8s.map(object.get(pvc, "spec", {})), pvc)
}

storage_claims contains {"class": class, "what": sprintf("ephemeral volume %q", [data.confgate.lib.k8s.text(object.get(v, "name", ""))]), "path": array.concat(p.path, ["volumes", i, "ephemeral"])} if {
	some p in data.confgate.lib.k8s.pods
	some i, v in data.confgate.lib.k8s.list(p.spec.volumes)
	spec := v.ephemeral.volumeClaimTemplate.spec
	is_object(spec)
	class := storage_claim_class(spec, {})
}

storage_claims contains {"class": class, "what": sprintf("volume claim template %q", [data.confgate.lib.k8s.text(object.get(t, ["metadata", "name"], ""))]), "path": ["spec", "volumeClaimTemplates", i]} if {
	input.kind == "StatefulSet"
	some i, t in data.confgate.lib.k8s.list(input.spec.volumeClaimTemplates)
	is_object(t)
	class := storage_claim_class(data.confgate.lib.k8s.map(object.get(t, "spec", {})), t)
}

# The class a claim asks for: storageClassName, the old beta annotation, or the default
# class of the scan; undefined for "" (static binding) or when nothing is known.
storage_claim_class(spec, claim) := c if {
	c := spec.storageClassName
	is_string(c)
	c != ""
} else := c if {
	c := data.confgate.lib.k8s.annotations(claim)["volume.beta.kubernetes.io/storage-class"]
	is_string(c)
	c != ""
} else := c if {
	not "storageClassName" in object.keys(data.confgate.lib.k8s.map(spec))
	defaults := sort([n |
		some group in data.inventory.cluster
		some n, sc in group.StorageClass
		lower(data.confgate.lib.k8s.text(data.confgate.lib.k8s.annotations(sc)["storageclass.kubernetes.io/is-default-class"])) == "true"
	])
	count(defaults) > 0
	c := defaults[0]
	is_string(c)
}

# The StorageClass called `name` in the scan.
storage_class(name) := sc if {
	scs := [s | some group in data.inventory.cluster; s := group.StorageClass[name]; is_object(s)]
	count(scs) > 0
	sc := scs[0]
	is_object(sc)
}

storage_class_encrypted(sc) if storage_class_declares(data.confgate.lib.k8s.annotations(sc)[data.confgate.lib.gdpr.encryption_key])

storage_class_encrypted(sc) if storage_class_declares(data.confgate.lib.k8s.labels(sc)[data.confgate.lib.gdpr.encryption_key])

storage_class_encrypted(sc) if lower(data.confgate.lib.k8s.text(sc.parameters.encrypted)) == "true"

storage_class_encrypted(sc) if {
	some key in ["disk-encryption-kms-key", "diskEncryptionSetID", "kmsKeyId", "encryptionKey"]
	is_string(sc.parameters[key])
}

storage_class_encrypted(sc) if sc.provisioner in storage_encrypting_provisioners

# The StorageClass declares encryption at rest with the confgate annotation (or label).
storage_class_declares(v) if {
	is_string(v)
	trim_space(v) != ""
	not lower(trim_space(v)) in data.confgate.lib.gdpr.encryption_negative
}

# GDPR data-governance labels and annotations (documented in docs/compliance/gdpr-labels.md)
# and where they are read from. A setting is looked up on the object itself, then on its pod
# template, then on its Namespace (when the Namespace is part of the scan); on each, labels
# first, then annotations.
package confgate.lib.gdpr

personal_data_key := "confgate.io/personal-data"

residency_key := "confgate.io/data-residency"

encryption_key := "confgate.io/encryption-at-rest"

retention_key := "confgate.io/data-retention"

keys := {personal_data_key, residency_key, encryption_key, retention_key}

# Metadata of the pod template of a workload object, or {}.
template_metadata(obj) := m if {
	obj.kind != "Pod"
	m := data.confgate.lib.k8s.template_metadata_of(obj)
	is_object(m)
} else := {}

# The namespace of an object ("default" when it names none).
namespace_of(obj) := ns if {
	ns := obj.metadata.namespace
	is_string(ns)
} else := "default"

# The string value of setting `key` for `obj`, or undefined.
setting(obj, key) := v if {
	v := data.confgate.lib.k8s.labels(obj)[key]
	is_string(v)
} else := v if {
	v := data.confgate.lib.k8s.annotations(obj)[key]
	is_string(v)
} else := v if {
	v := data.confgate.lib.k8s.map(object.get(template_metadata(obj), "labels", {}))[key]
	is_string(v)
} else := v if {
	v := data.confgate.lib.k8s.map(object.get(template_metadata(obj), "annotations", {}))[key]
	is_string(v)
} else := v if {
	v := data.confgate.lib.k8s.labels(data.confgate.lib.governance.namespace_object(namespace_of(obj)))[key]
	is_string(v)
} else := v if {
	v := data.confgate.lib.k8s.annotations(data.confgate.lib.governance.namespace_object(namespace_of(obj)))[key]
	is_string(v)
}

# Path (in the input) of where setting `key` is set, for findings: the label or annotation
# of the object or its pod template, the namespace field when the Namespace sets it, else
# where it should be added (the object's annotations).
# (Each branch ends in a test on a bound variable: regorus's VM does not fall through to
# `else` when a branch ends in a test of an undefined reference.)
setting_path(key) := ["metadata", "labels", key] if {
	v := object.get(data.confgate.lib.k8s.labels(input), key, null)
	is_string(v)
} else := ["metadata", "annotations", key] if {
	v := object.get(data.confgate.lib.k8s.annotations(input), key, null)
	is_string(v)
} else := array.concat(data.confgate.lib.k8s.pod_metadata_path, ["labels", key]) if {
	v := object.get(data.confgate.lib.k8s.map(object.get(template_metadata(input), "labels", {})), key, null)
	is_string(v)
} else := array.concat(data.confgate.lib.k8s.pod_metadata_path, ["annotations", key]) if {
	v := object.get(data.confgate.lib.k8s.map(object.get(template_metadata(input), "annotations", {})), key, null)
	is_string(v)
} else := ["metadata", "namespace"] if {
	v := setting(input, key)
	is_string(v)
	ns := object.get(input, ["metadata", "namespace"], null)
	is_string(ns)
} else := ["metadata", "annotations", key]

# The object processes personal data.
personal_data(obj) if lower(setting(obj, personal_data_key)) == "true"

# The input processes personal data (evaluated once per document).
input_personal_data if personal_data(input)

# The object's data must stay in the EU (or EEA).
eu_resident(obj) if lower(setting(obj, residency_key)) == "eu"

# An ISO-8601 duration such as P30D, P1Y6M, P2W or PT720H.
iso_duration(v) if {
	is_string(v)
	regex.match(`^P([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+(\.[0-9]+)?S)?)?$`, v)
	v != "P"
	not endswith(v, "T")
}

# Values of the encryption annotation that say there is none.
encryption_negative := {"false", "no", "none", "disabled", "off", "plaintext"}

# The pod keeps data on storage that outlives it: a PersistentVolumeClaim, a generic
# ephemeral volume backed by a claim, a hostPath, or StatefulSet volume claim templates.
persistent_storage if {
	some p in data.confgate.lib.k8s.pods
	some v in data.confgate.lib.k8s.list(p.spec.volumes)
	some type in ["persistentVolumeClaim", "ephemeral", "hostPath"]
	is_object(v[type])
}

persistent_storage if count(data.confgate.lib.k8s.list(input.spec.volumeClaimTemplates)) > 0

# Regions and zones inside the EU/EEA, by the names cloud providers give them: AWS and most
# others (eu-*), Google Cloud (europe-*), Azure (westeurope, northeurope, francecentral...).
# Zones carry their region's name as prefix (eu-west-1a, europe-west1-b, westeurope-1).
eu_location(v) if {
	is_string(v)
	regex.match(`^(eu-|eusc-|europe-|(west|north)europe|france(central|south)|germany(westcentral|north)|sweden(central|south)|italynorth|polandcentral|spaincentral|norway(east|west)|austriaeast|belgiumcentral|denmarkeast)`, lower(v))
}

location_keys := {
	"topology.kubernetes.io/region",
	"topology.kubernetes.io/zone",
	"failure-domain.beta.kubernetes.io/region",
	"failure-domain.beta.kubernetes.io/zone",
}

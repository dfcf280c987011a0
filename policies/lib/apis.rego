# API versions, annotations and volume plugins that Kubernetes deprecated or removed, with
# the release (minor version of 1.x) of each step, checked against the release the scan
# targets: data.settings.kube_major / kube_minor / kube_version, set with --kube-version
# (default: the newest release confgate knows). Sources: the Kubernetes deprecated API
# migration guide and the deprecation warnings of the API server.
package confgate.lib.apis

# apiVersion -> kind -> {"deprecated": minor, "removed": minor or null, "replacement": text}.
served_until := {
	"extensions/v1beta1": {
		"Deployment": {"deprecated": 9, "removed": 16, "replacement": "apps/v1"},
		"DaemonSet": {"deprecated": 9, "removed": 16, "replacement": "apps/v1"},
		"ReplicaSet": {"deprecated": 9, "removed": 16, "replacement": "apps/v1"},
		"NetworkPolicy": {"deprecated": 9, "removed": 16, "replacement": "networking.k8s.io/v1"},
		"PodSecurityPolicy": {"deprecated": 10, "removed": 16, "replacement": "no successor: PodSecurityPolicy is gone, use Pod Security Admission"},
		"Ingress": {"deprecated": 14, "removed": 22, "replacement": "networking.k8s.io/v1"},
	},
	"apps/v1beta1": {
		"Deployment": {"deprecated": 9, "removed": 16, "replacement": "apps/v1"},
		"StatefulSet": {"deprecated": 9, "removed": 16, "replacement": "apps/v1"},
		"ReplicaSet": {"deprecated": 9, "removed": 16, "replacement": "apps/v1"},
	},
	"apps/v1beta2": {
		"Deployment": {"deprecated": 9, "removed": 16, "replacement": "apps/v1"},
		"StatefulSet": {"deprecated": 9, "removed": 16, "replacement": "apps/v1"},
		"DaemonSet": {"deprecated": 9, "removed": 16, "replacement": "apps/v1"},
		"ReplicaSet": {"deprecated": 9, "removed": 16, "replacement": "apps/v1"},
	},
	"networking.k8s.io/v1beta1": {
		"Ingress": {"deprecated": 19, "removed": 22, "replacement": "networking.k8s.io/v1"},
		"IngressClass": {"deprecated": 19, "removed": 22, "replacement": "networking.k8s.io/v1"},
	},
	"rbac.authorization.k8s.io/v1beta1": {
		"ClusterRole": {"deprecated": 17, "removed": 22, "replacement": "rbac.authorization.k8s.io/v1"},
		"ClusterRoleBinding": {"deprecated": 17, "removed": 22, "replacement": "rbac.authorization.k8s.io/v1"},
		"Role": {"deprecated": 17, "removed": 22, "replacement": "rbac.authorization.k8s.io/v1"},
		"RoleBinding": {"deprecated": 17, "removed": 22, "replacement": "rbac.authorization.k8s.io/v1"},
	},
	"admissionregistration.k8s.io/v1beta1": {
		"MutatingWebhookConfiguration": {"deprecated": 16, "removed": 22, "replacement": "admissionregistration.k8s.io/v1"},
		"ValidatingWebhookConfiguration": {"deprecated": 16, "removed": 22, "replacement": "admissionregistration.k8s.io/v1"},
	},
	"apiextensions.k8s.io/v1beta1": {"CustomResourceDefinition": {"deprecated": 16, "removed": 22, "replacement": "apiextensions.k8s.io/v1"}},
	"apiregistration.k8s.io/v1beta1": {"APIService": {"deprecated": 19, "removed": 22, "replacement": "apiregistration.k8s.io/v1"}},
	"authentication.k8s.io/v1beta1": {"TokenReview": {"deprecated": 19, "removed": 22, "replacement": "authentication.k8s.io/v1"}},
	"authorization.k8s.io/v1beta1": {
		"LocalSubjectAccessReview": {"deprecated": 19, "removed": 22, "replacement": "authorization.k8s.io/v1"},
		"SelfSubjectAccessReview": {"deprecated": 19, "removed": 22, "replacement": "authorization.k8s.io/v1"},
		"SubjectAccessReview": {"deprecated": 19, "removed": 22, "replacement": "authorization.k8s.io/v1"},
	},
	"certificates.k8s.io/v1beta1": {"CertificateSigningRequest": {"deprecated": 19, "removed": 22, "replacement": "certificates.k8s.io/v1"}},
	"coordination.k8s.io/v1beta1": {"Lease": {"deprecated": 19, "removed": 22, "replacement": "coordination.k8s.io/v1"}},
	"scheduling.k8s.io/v1beta1": {"PriorityClass": {"deprecated": 14, "removed": 22, "replacement": "scheduling.k8s.io/v1"}},
	"storage.k8s.io/v1beta1": {
		"CSIDriver": {"deprecated": 19, "removed": 22, "replacement": "storage.k8s.io/v1"},
		"CSINode": {"deprecated": 17, "removed": 22, "replacement": "storage.k8s.io/v1"},
		"StorageClass": {"deprecated": 19, "removed": 22, "replacement": "storage.k8s.io/v1"},
		"VolumeAttachment": {"deprecated": 19, "removed": 22, "replacement": "storage.k8s.io/v1"},
		"CSIStorageCapacity": {"deprecated": 24, "removed": 27, "replacement": "storage.k8s.io/v1"},
	},
	"batch/v1beta1": {"CronJob": {"deprecated": 21, "removed": 25, "replacement": "batch/v1"}},
	"discovery.k8s.io/v1beta1": {"EndpointSlice": {"deprecated": 21, "removed": 25, "replacement": "discovery.k8s.io/v1"}},
	"events.k8s.io/v1beta1": {"Event": {"deprecated": 22, "removed": 25, "replacement": "events.k8s.io/v1"}},
	"autoscaling/v2beta1": {"HorizontalPodAutoscaler": {"deprecated": 22, "removed": 25, "replacement": "autoscaling/v2"}},
	"autoscaling/v2beta2": {"HorizontalPodAutoscaler": {"deprecated": 23, "removed": 26, "replacement": "autoscaling/v2"}},
	"policy/v1beta1": {
		"PodDisruptionBudget": {"deprecated": 21, "removed": 25, "replacement": "policy/v1"},
		"PodSecurityPolicy": {"deprecated": 21, "removed": 25, "replacement": "no successor: PodSecurityPolicy is gone, use Pod Security Admission"},
	},
	"node.k8s.io/v1beta1": {"RuntimeClass": {"deprecated": 22, "removed": 25, "replacement": "node.k8s.io/v1"}},
	"flowcontrol.apiserver.k8s.io/v1beta1": {
		"FlowSchema": {"deprecated": 23, "removed": 26, "replacement": "flowcontrol.apiserver.k8s.io/v1"},
		"PriorityLevelConfiguration": {"deprecated": 23, "removed": 26, "replacement": "flowcontrol.apiserver.k8s.io/v1"},
	},
	"flowcontrol.apiserver.k8s.io/v1beta2": {
		"FlowSchema": {"deprecated": 26, "removed": 29, "replacement": "flowcontrol.apiserver.k8s.io/v1"},
		"PriorityLevelConfiguration": {"deprecated": 26, "removed": 29, "replacement": "flowcontrol.apiserver.k8s.io/v1"},
	},
	"flowcontrol.apiserver.k8s.io/v1beta3": {
		"FlowSchema": {"deprecated": 29, "removed": 32, "replacement": "flowcontrol.apiserver.k8s.io/v1"},
		"PriorityLevelConfiguration": {"deprecated": 29, "removed": 32, "replacement": "flowcontrol.apiserver.k8s.io/v1"},
	},
	"v1": {"Endpoints": {"deprecated": 33, "removed": null, "replacement": "discovery.k8s.io/v1 EndpointSlice"}},
}

# Annotations that stopped doing anything ("ignored") or were superseded by a field
# ("deprecated"): key (or key prefix ending in "/") -> details.
annotations := {
	"seccomp.security.alpha.kubernetes.io/pod": {"deprecated": 19, "ignored": null, "replacement": "securityContext.seccompProfile"},
	"container.seccomp.security.alpha.kubernetes.io/": {"deprecated": 19, "ignored": null, "replacement": "securityContext.seccompProfile of the container"},
	"container.apparmor.security.beta.kubernetes.io/": {"deprecated": 30, "ignored": null, "replacement": "securityContext.appArmorProfile of the container"},
	"kubernetes.io/ingress.class": {"deprecated": 18, "ignored": null, "replacement": "spec.ingressClassName"},
	"scheduler.alpha.kubernetes.io/critical-pod": {"deprecated": 13, "ignored": 16, "replacement": "priorityClassName: system-cluster-critical (or system-node-critical)"},
	"service.kubernetes.io/topology-aware-hints": {"deprecated": 27, "ignored": null, "replacement": "the service.kubernetes.io/topology-mode annotation or spec.trafficDistribution"},
}

# The entry of `annotations` that covers annotation `key`, if any.
annotation_entry(key) := e if {
	not endswith(key, "/")
	e := annotations[key]
	is_object(e)
} else := e if {
	some prefix, e in annotations
	endswith(prefix, "/")
	startswith(key, prefix)
	count(key) > count(prefix)
}

# In-tree volume plugins without a migration path: the volume type -> details. Pods and
# PersistentVolumes using them fail to mount ("no volume plugin matched") from `removed` on.
volume_plugins := {
	"photonPersistentDisk": {"deprecated": 11, "removed": 16, "replacement": "a CSI driver"},
	"scaleIO": {"deprecated": 16, "removed": 22, "replacement": "the Dell PowerFlex (vxflexos) CSI driver"},
	"flocker": {"deprecated": 22, "removed": 25, "replacement": "a CSI driver"},
	"quobyte": {"deprecated": 22, "removed": 25, "replacement": "the Quobyte CSI driver"},
	"storageos": {"deprecated": 22, "removed": 25, "replacement": "the StorageOS CSI driver"},
	"glusterfs": {"deprecated": 25, "removed": 26, "replacement": "a CSI driver (for example gluster-csi-driver or an NFS/CephFS CSI driver)"},
	"cephfs": {"deprecated": 28, "removed": 31, "replacement": "the Ceph CSI driver (cephfs.csi.ceph.com)"},
	"rbd": {"deprecated": 28, "removed": 31, "replacement": "the Ceph CSI driver (rbd.csi.ceph.com)"},
}

# The release the scan targets.
target_major := m if {
	m := data.settings.kube_major
	is_number(m)
} else := 1

target_minor := m if {
	m := data.settings.kube_minor
	is_number(m)
} else := 37

target := v if {
	v := data.settings.kube_version
	is_string(v)
	v != ""
} else := sprintf("%d.%d", [target_major, target_minor])

# The target release is 1.`minor` or later.
reached(minor) if {
	is_number(minor)
	target_major > 1
}

reached(minor) if {
	is_number(minor)
	target_major == 1
	target_minor >= minor
}

package confgate.rules.network

import data.confgate.lib.k8s

# Annotations (and the values) that make a cloud load balancer internal-only.
service_load_balancer_internal := {
	"service.beta.kubernetes.io/aws-load-balancer-internal": {"true", "0.0.0.0/0"},
	"service.beta.kubernetes.io/aws-load-balancer-scheme": {"internal"},
	"service.beta.kubernetes.io/azure-load-balancer-internal": {"true"},
	"networking.gke.io/load-balancer-type": {"Internal"},
	"cloud.google.com/load-balancer-type": {"Internal", "internal"},
	"service.beta.kubernetes.io/oci-load-balancer-internal": {"true"},
	"service.beta.kubernetes.io/openstack-internal-load-balancer": {"true"},
	"service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": {"private"},
}

deny contains f if {
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
	not service_load_balancer_restricted
	f := {
		"id": "CG3001",
		"msg": sprintf("Service %q is exposed through an external load balancer open to every source address", [k8s.name]),
		"path": ["spec", "type"],
	}
}

service_load_balancer_restricted if {
	some key, values in service_load_balancer_internal
	k8s.annotations(input)[key] in values
}

service_load_balancer_restricted if {
	ranges := input.spec.loadBalancerSourceRanges
	is_array(ranges)
	count(ranges) > 0
	not "0.0.0.0/0" in ranges
}

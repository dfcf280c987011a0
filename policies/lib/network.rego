# Shared helpers for network rules: how NetworkPolicies isolate pods, which peers and rules
# are open to everyone, and how a Service is reachable from outside the cluster.
package confgate.lib.network

# Namespaces that Kubernetes itself manages.
system_namespaces := {"kube-system", "kube-public", "kube-node-lease"}

# Kinds (of any API group) that restrict pod traffic within a namespace.
policy_kinds := {"NetworkPolicy", "CiliumNetworkPolicy"}

# Every network policy object of namespace `ns` in the scan: {"api_version", "kind", "obj"}.
policies(ns) := {{"api_version": av, "kind": kind, "obj": obj} |
	some av, kinds in data.inventory.namespace[ns]
	some kind, objs in kinds
	kind in policy_kinds
	some obj in objs
}

# A Kubernetes NetworkPolicy (networking.k8s.io), as opposed to Calico's or Cilium's.
k8s_policy(p) if {
	p.kind == "NetworkPolicy"
	startswith(p.api_version, "networking.k8s.io/")
}

# A label selector that selects everything: absent, null, {} or with only empty parts.
empty_selector(sel) if not is_object(sel)

empty_selector(sel) if {
	is_object(sel)
	count(data.confgate.lib.k8s.map(object.get(sel, "matchLabels", {}))) == 0
	count(data.confgate.lib.k8s.list(object.get(sel, "matchExpressions", []))) == 0
}

# The policy's spec ({} when absent or malformed).
spec(np) := s if {
	s := np.spec
	is_object(s)
} else := {}

# A field of the policy's spec, or null when absent.
spec_field(np, field) := object.get(spec(np), field, null)

# The policy's policyTypes as strings, or null when it does not list them.
policy_types(np) := [t | some t in spec(np).policyTypes; is_string(t)] if {
	is_array(spec(np).policyTypes)
} else := null

# The policy isolates the pods it selects for ingress (Ingress is implied when policyTypes
# is not given).
covers_ingress(np) if policy_types(np) == null

covers_ingress(np) if {
	types := policy_types(np)
	is_array(types)
	"Ingress" in types
}

# The policy isolates its pods for egress: listed, or implied by an egress section.
covers_egress(np) if {
	types := policy_types(np)
	is_array(types)
	"Egress" in types
}

covers_egress(np) if {
	policy_types(np) == null
	"egress" in object.keys(spec(np))
}

# Addresses that stand for every IPv4 or IPv6 address.
any_address := {"0.0.0.0/0", "::/0"}

# A peer that matches every source or destination: {} or an ipBlock of every address with
# no exceptions.
open_peer(peer) if peer == {}

open_peer(peer) if {
	is_object(peer)
	object.keys(peer) == {"ipBlock"}
	block := peer.ipBlock
	is_object(block)
	block.cidr in any_address
	count(data.confgate.lib.k8s.list(object.get(block, "except", []))) == 0
}

# The rule names no port, so every port is allowed.
all_ports(rule) if {
	is_object(rule)
	count(data.confgate.lib.k8s.list(object.get(rule, "ports", []))) == 0
}

# Where an ingress (`field` = "from") or egress (`field` = "to") rule lets every peer in,
# as paths below the rule: [field] (or [] when the field is absent) when it lists no peer at
# all, [field, k] for an open peer.
open_peer_paths(rule, field) := {p |
	is_object(rule)
	count(data.confgate.lib.k8s.list(object.get(rule, field, []))) == 0
	p := no_peer_path(rule, field)
} | {[field, k] |
	is_object(rule)
	some k, peer in data.confgate.lib.k8s.list(object.get(rule, field, []))
	open_peer(peer)
}

# Where a rule that lists no peer should be fixed: its empty list, or the rule itself.
no_peer_path(rule, field) := [field] if {
	field in object.keys(rule)
} else := []

# The policy is a namespace-wide default deny of ingress: it selects every pod, covers
# Ingress, and no rule of it lets everything in again.
default_deny_ingress(p) if {
	k8s_policy(p)
	np := p.obj
	empty_selector(spec_field(np, "podSelector"))
	covers_ingress(np)
	not allows_all_ingress(np)
}

# Cilium: a policy selecting every endpoint with an ingress section turns on default deny.
default_deny_ingress(p) if {
	p.kind == "CiliumNetworkPolicy"
	np := p.obj
	empty_selector(spec_field(np, "endpointSelector"))
	some key in ["ingress", "ingressDeny"]
	key in object.keys(spec(np))
	not spec(np).enableDefaultDeny.ingress == false
}

# Policies of other projects (Calico, ...) whose semantics are not modelled: assume they
# may isolate the namespace.
default_deny_ingress(p) if {
	p.kind == "NetworkPolicy"
	not k8s_policy(p)
}

# Some ingress rule admits every source on every port.
allows_all_ingress(np) if {
	some rule in data.confgate.lib.k8s.list(spec_field(np, "ingress"))
	all_ports(rule)
	count(open_peer_paths(rule, "from")) > 0
}

# ---- Services ----

# Annotations (and the values) that make a cloud load balancer internal-only.
internal_lb_annotations := {
	"service.beta.kubernetes.io/aws-load-balancer-internal": {"true", "0.0.0.0/0"},
	"service.beta.kubernetes.io/aws-load-balancer-scheme": {"internal"},
	"service.beta.kubernetes.io/azure-load-balancer-internal": {"true"},
	"networking.gke.io/load-balancer-type": {"Internal"},
	"cloud.google.com/load-balancer-type": {"Internal", "internal"},
	"service.beta.kubernetes.io/oci-load-balancer-internal": {"true"},
	"service.beta.kubernetes.io/openstack-internal-load-balancer": {"true"},
	"service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": {"private"},
}

# The Service's load balancer is internal or limited to some source ranges.
lb_restricted(svc) if {
	some key, values in internal_lb_annotations
	data.confgate.lib.k8s.annotations(svc)[key] in values
}

lb_restricted(svc) if {
	ranges := svc.spec.loadBalancerSourceRanges
	is_array(ranges)
	count(ranges) > 0
	not "0.0.0.0/0" in ranges
	not "::/0" in ranges
}

# How a Service is reachable from outside the cluster, as text for messages.
exposures(svc) := {e |
	svc.spec.type == "LoadBalancer"
	not lb_restricted(svc)
	e := "an unrestricted load balancer"
} | {e |
	svc.spec.type == "NodePort"
	e := "a port on every node"
} | {e |
	count(data.confgate.lib.k8s.list(svc.spec.externalIPs)) > 0
	e := "external IPs"
}

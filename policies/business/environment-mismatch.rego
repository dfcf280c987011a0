package confgate.business

# Always on when an environment is selected: configuration that names another environment
# (APP_ENV=staging, SPRING_PROFILES_ACTIVE=dev, NODE_ENV=development in prod) was most likely
# copied from that environment, and the application would run with its settings. Aliases
# count as the same environment (prod, production and prd; staging, stage and stg; dev and
# development; test and testing; qa); values that name no well-known environment are left
# alone.

# Container env entries.
deny contains f if {
	data.confgate.business.lib.environment != ""
	some c in data.confgate.lib.k8s.containers
	some e in data.confgate.business.lib.env_entries(c)
	names := data.confgate.business.lib.contradicting_environments(e.name, e.value)
	count(names) > 0
	f := {
		"id": "environment-mismatch",
		"msg": sprintf("container %q has env %s naming environment %s, but the configuration is validated for %s", [data.confgate.lib.k8s.container_name(c), e.name, concat(", ", names), data.confgate.business.lib.environment_label]),
		"path": array.concat(c.path, ["env", e.index, "value"]),
	}
}

# ConfigMap data keys.
deny contains f if {
	data.confgate.business.lib.environment != ""
	some e in data.confgate.business.lib.configmap_entries
	names := data.confgate.business.lib.contradicting_environments(e.key, e.value)
	count(names) > 0
	f := {
		"id": "environment-mismatch",
		"msg": sprintf("ConfigMap %q key %q names environment %s, but the configuration is validated for %s", [data.confgate.lib.k8s.name, e.key, concat(", ", names), data.confgate.business.lib.environment_label]),
		"path": ["data", e.key],
	}
}

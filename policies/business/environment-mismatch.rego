package confgate.business

import data.confgate.business.lib
import data.confgate.lib.k8s

# Always on when an environment is selected: configuration that names another environment
# (APP_ENV=staging, SPRING_PROFILES_ACTIVE=dev, NODE_ENV=development in prod) was most likely
# copied from that environment, and the application would run with its settings. Aliases
# count as the same environment (prod, production and prd; staging, stage and stg; dev and
# development; test and testing; qa); values that name no well-known environment are left
# alone.

# Container env entries.
deny contains f if {
	lib.environment != ""
	some c in k8s.containers
	some e in lib.env_entries(c)
	names := lib.contradicting_environments(e.name, e.value)
	count(names) > 0
	f := {
		"id": "environment-mismatch",
		"msg": sprintf("container %q has env %s naming environment %s, but the configuration is validated for %s", [k8s.container_name(c), e.name, concat(", ", names), lib.environment_label]),
		"path": array.concat(c.path, ["env", e.index, "value"]),
	}
}

# ConfigMap data keys.
deny contains f if {
	lib.environment != ""
	some e in lib.configmap_entries
	names := lib.contradicting_environments(e.key, e.value)
	count(names) > 0
	f := {
		"id": "environment-mismatch",
		"msg": sprintf("ConfigMap %q key %q names environment %s, but the configuration is validated for %s", [k8s.name, e.key, concat(", ", names), lib.environment_label]),
		"path": ["data", e.key],
	}
}

package kerasjson

import (
	"fmt"
	"sort"
)

// The dtype policies Anvil runs, by Keras name.
const (
	PolicyFloat32      = "float32"
	PolicyMixedFloat16 = "mixed_float16"
)

// MixedPolicyJSON is a layer's "dtype" under mixed_float16 as tf.keras 2.x
// writes it (a float32 layer's is the plain string "float32").
func MixedPolicyJSON() map[string]any {
	return map[string]any{"class_name": "Policy", "config": map[string]any{"name": PolicyMixedFloat16}}
}

// policyClasses are the class names of serialized dtype policies: tf.keras
// 2.x's Policy and Keras 3's DTypePolicy (FloatDTypePolicy in 3.4–3.6).
var policyClasses = map[string]bool{"Policy": true, "DTypePolicy": true, "FloatDTypePolicy": true}

// DTypePolicy reads a layer's "dtype" entry: a policy name ("float32", as
// tf.keras 2.x writes float policies; Keras 3.0 writes every policy so), or
// a serialized policy object, {"class_name": "Policy", "config": {"name":
// ...}} (tf.keras 2.x) or {"module": "keras", "class_name": "DTypePolicy",
// "config": {"name": ...}, "registered_name": null} (Keras 3). It returns
// PolicyFloat32 or PolicyMixedFloat16; any other policy, or a value of
// another form, is an error saying what Anvil reads.
func DTypePolicy(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return policyName(v)
	case map[string]any:
		return policyObject(v)
	}
	return "", fmt.Errorf("want a policy name (%q or %q) or a Keras DTypePolicy object, got %s", PolicyFloat32, PolicyMixedFloat16, Compact(v))
}

// policyObject reads a serialized policy.
func policyObject(o map[string]any) (string, error) {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "class_name", "config":
		case "module", "registered_name": // where Keras 3 finds the class
		default:
			return "", fmt.Errorf("policy object key %q is not one Anvil reads (class_name, config, module, registered_name)", k)
		}
	}
	class, _ := o["class_name"].(string)
	if !policyClasses[class] {
		return "", fmt.Errorf("class_name %s is not a dtype policy Anvil reads (Policy, DTypePolicy, FloatDTypePolicy): "+
			"save the model under %q or %q", Compact(o["class_name"]), PolicyFloat32, PolicyMixedFloat16)
	}
	cfg, ok := o["config"].(map[string]any)
	if !ok {
		return "", fmt.Errorf("%s policy: want \"config\": {\"name\": ...}, got %s", class, Compact(o["config"]))
	}
	for k := range cfg {
		if k != "name" {
			return "", fmt.Errorf("%s policy: config key %q is not supported (Anvil reads only \"name\")", class, k)
		}
	}
	name, ok := cfg["name"].(string)
	if !ok {
		return "", fmt.Errorf("%s policy: config \"name\" must be a policy name such as %q, got %s", class, PolicyMixedFloat16, Compact(cfg["name"]))
	}
	return policyName(name)
}

// policyName accepts the policies Anvil runs.
func policyName(name string) (string, error) {
	if name == PolicyFloat32 || name == PolicyMixedFloat16 {
		return name, nil
	}
	return "", fmt.Errorf("dtype policy %q is not supported: Anvil runs %q and %q (variables in float32 either way); "+
		"save the model under one of those", name, PolicyFloat32, PolicyMixedFloat16)
}

package kerasjson

import "testing"

// TestDTypePolicyForms reads every form in which tf.keras 2.x and Keras 3
// write a layer's policy.
func TestDTypePolicyForms(t *testing.T) {
	obj := func(class, name string, extra ...string) map[string]any {
		o := map[string]any{"class_name": class, "config": map[string]any{"name": name}}
		for _, k := range extra {
			o[k] = nil
		}
		return o
	}
	cases := []struct {
		v    any
		want string
	}{
		{"float32", PolicyFloat32},
		{"mixed_float16", PolicyMixedFloat16}, // Keras 3.0 writes the name
		{obj("Policy", "mixed_float16"), PolicyMixedFloat16},
		{MixedPolicyJSON(), PolicyMixedFloat16},
		{obj("DTypePolicy", "float32", "module", "registered_name"), PolicyFloat32},
		{obj("DTypePolicy", "mixed_float16", "module", "registered_name"), PolicyMixedFloat16},
		{obj("FloatDTypePolicy", "mixed_float16", "module"), PolicyMixedFloat16},
	}
	for _, c := range cases {
		got, err := DTypePolicy(c.v)
		if err != nil || got != c.want {
			t.Errorf("DTypePolicy(%s) = %q, %v; want %q", Compact(c.v), got, err, c.want)
		}
	}
	for _, bad := range []any{nil, true, []any{"float32"}, "float16", obj("Policy", "_infer"), map[string]any{}} {
		if got, err := DTypePolicy(bad); err == nil {
			t.Errorf("DTypePolicy(%s) = %q, want an error", Compact(bad), got)
		}
	}
}

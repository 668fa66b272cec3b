package nn

import (
	"fmt"
	"strings"

	"github.com/anvil-ml/anvil/format/kerasjson"
	"github.com/anvil-ml/anvil/tensor"
)

// Layers' dtype policies, as Keras's dtype argument of a layer and the
// "dtype" of each layer in model.json. Anvil's precision is the model's
// (the compiled loss scaling is one for the whole model), so:
//
//   - a model any of whose layers has the "mixed_float16" policy compiles
//     in mixed precision (a Keras model built under the global
//     mixed_float16 policy has every layer so);
//   - in a mixed-precision model, a layer with the "float32" policy keeps
//     its products (MatMul, convolutions) in float32, as Keras's
//     Dense(..., dtype="float32") under a mixed global policy does;
//   - layers without a policy follow the model.
//
// CompileWith(WithMixedPrecision()) and SetPrecision choose the model's
// precision whatever its layers say; Compile starts from the layers'.

// WithDType sets the layer's dtype policy, Keras's dtype argument:
// "mixed_float16" makes the model compile in mixed precision, "float32"
// keeps the layer's products in float32 when the model runs mixed (the
// output layer of Keras's mixed-precision guide).
func WithDType(policy string) Option {
	return opt("dtype", func(c *config) error {
		if policy != PolicyFloat32 && policy != PolicyMixedFloat16 {
			return fmt.Errorf("dtype policy %q: use %q or %q", policy, PolicyFloat32, PolicyMixedFloat16)
		}
		c.dtype = policy
		return nil
	})
}

// layersPolicy is the precision the layers ask for: mixed_float16 when any
// layer has that policy, else float32.
func (m *Model) layersPolicy() string {
	for _, n := range m.nodes {
		if n.layer.cfg.dtype == PolicyMixedFloat16 {
			return PolicyMixedFloat16
		}
	}
	return PolicyFloat32
}

// keptFloat32 reports whether layer b's products stay float32 when the
// model runs mixed.
func keptFloat32(b *layerBase) bool { return b.cfg.dtype == PolicyFloat32 }

// dtypeJSON is layer b's "dtype" in model.json: the model's precision,
// except "float32" for a layer kept in float32. A float32 model writes
// "float32" for every layer, as it always has.
func (m *Model) dtypeJSON(b *layerBase) any {
	if m.Precision() == PolicyMixedFloat16 && !keptFloat32(b) {
		return kerasjson.MixedPolicyJSON()
	}
	return PolicyFloat32
}

// settleImportedPolicies applies the rule above to a model read from a
// file, whose layers all carry the policy their "dtype" named: in a model
// with no mixed_float16 layer "float32" says nothing (every float32 Keras
// model writes it), so it is dropped, and the layers follow the model
// should it be compiled mixed later.
func (m *Model) settleImportedPolicies() {
	if m.layersPolicy() == PolicyMixedFloat16 {
		return
	}
	for _, n := range m.nodes {
		n.layer.cfg.dtype = ""
	}
}

// float32Buffers are the buffers that mark a product of a layer kept in
// float32: its variables and their gradients (a shared layer's later calls
// write scratch gradients named "<node>/grad:<variable>"). Every product
// of Dense and the convolutions reads its kernel or writes its gradient.
func (m *Model) float32Buffers(plan *tensor.Plan, low *lowered) map[tensor.BufferID]bool {
	names := map[string]bool{}
	out := map[tensor.BufferID]bool{}
	for _, n := range m.nodes {
		if !keptFloat32(n.layer) {
			continue
		}
		for _, v := range n.layer.vars {
			names["grad:"+v.Name] = true
			if id, ok := low.vars[v]; ok {
				out[id] = true
			}
		}
	}
	if len(names) == 0 {
		return out
	}
	for i, b := range plan.Buffers {
		if k := strings.LastIndex(b.Name, "/grad:"); names[b.Name] || (k >= 0 && names[b.Name[k+1:]]) {
			out[tensor.BufferID(i)] = true
		}
	}
	return out
}

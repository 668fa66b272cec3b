package nn

import (
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// kernelProducts counts the MatMuls of m's (compiled) Train routine that
// touch variable v (or its cast) or its gradient and read float16 operands, and those
// that read float32 ones.
func kernelProducts(t *testing.T, m *Model, v *Variable) (f16, f32 int) {
	t.Helper()
	low := m.lower(8, m.defaultSpecs())
	if err := low.plan.Validate(); err != nil {
		t.Fatal(err)
	}
	p := low.plan
	mine := map[tensor.BufferID]bool{low.vars[v]: true, low.grads[v]: true}
	for i, b := range p.Buffers {
		if b.Name == "f16:"+p.Buffers[low.vars[v]].Name { // the kernel's cast
			mine[tensor.BufferID(i)] = true
		}
	}
	for _, op := range p.Routines[tensor.Train] {
		mm, ok := op.(tensor.MatMul)
		if !ok || !touches(op, mine) {
			continue
		}
		if p.Buffers[mm.A].DType == tensor.Float16 && p.Buffers[mm.B].DType == tensor.Float16 {
			f16++
		} else {
			f32++
		}
	}
	return f16, f32
}

// TestMixedKerasFileLoadsAndTrains loads a hand-written Keras 3 to_json of
// a model built under the mixed_float16 global policy, its output Dense
// and softmax given dtype="float32" as Keras's mixed-precision guide does:
// it is a mixed-precision model whose "logits" layer keeps its products in
// float32, with Keras's parameter counts; it writes every layer's policy
// back (tf.keras 2's Policy object), round-trips, and trains on the CPU
// backend.
func TestMixedKerasFileLoadsAndTrains(t *testing.T) {
	ClearSession()
	m := loadKeras(t, "mixed_cnn_functional_keras3.json")
	if p := m.Precision(); p != PolicyMixedFloat16 {
		t.Fatalf("Precision %q before Compile, want %q", p, PolicyMixedFloat16)
	}
	// Keras: Conv2D (3·3·3+1)·4, Dense (64+1)·16, Dense (16+1)·3.
	checkSummaryAndRoundTrip(t, m, "(None, 8, 8, 4)", " 112 ", " 1040 ", " 51 ", "Total params: 1,203")
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	mixed := `"dtype":{"class_name":"Policy","config":{"name":"mixed_float16"}}`
	for _, want := range []string{`"name":"hidden","trainable":true,` + mixed, `"name":"logits","trainable":true,"dtype":"float32"`,
		`"name":"predictions","trainable":true,"dtype":"float32"`, `"name":"flatten","trainable":true,` + mixed, `"dtype":"float32","sparse":false`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("ToJSON lacks %s:\n%s", want, js)
		}
	}
	if err := m.Compile(Adam(0.01), "categorical_crossentropy", "accuracy"); err != nil {
		t.Fatal(err)
	}
	if p := m.Precision(); p != PolicyMixedFloat16 {
		t.Fatalf("Precision %q after Compile, want %q", p, PolicyMixedFloat16)
	}
	byName := map[string]*Variable{}
	for _, v := range m.Variables() {
		byName[v.Name] = v
	}
	if f16, f32 := kernelProducts(t, m, byName["hidden/kernel"]); f16 != 3 || f32 != 0 {
		t.Errorf("hidden's MatMuls: %d float16, %d float32; want 3 float16 (forward, kernel and input gradients)", f16, f32)
	}
	if f16, f32 := kernelProducts(t, m, byName["logits/kernel"]); f16 != 0 || f32 != 3 {
		t.Errorf("logits' MatMuls: %d float16, %d float32; want 3 float32 (its dtype is float32)", f16, f32)
	}
	x, y := channelImages(48)
	fitLossFalls(t, m, x, y, 3)
	if s, err := m.LossScale(); err != nil || s <= 0 {
		t.Errorf("loss scale %v (%v), want a positive scale", s, err)
	}
}

// channelImages is n 8×8 RGB images of 3 classes, class c brighter in
// channel c.
func channelImages(n int) (x, y *tensor.Tensor) {
	x, y = tensor.New(n, 8, 8, 3), tensor.New(n, 3)
	rng := tensor.NewStream(4, 0)
	for i := range n {
		c := i % 3
		y.Data[i*3+c] = 1
		for j := range 64 * 3 {
			x.Data[i*192+j] = float32(rng.Float64())
			if j%3 == c {
				x.Data[i*192+j] += 0.5
			}
		}
	}
	return x, y
}

// TestMalformedDTypePoliciesAreErrors: a dtype Anvil does not run, or one
// not written as Keras writes policies, is an error naming the layer, the
// key and what Anvil reads.
func TestMalformedDTypePoliciesAreErrors(t *testing.T) {
	file := "mixed_cnn_functional_keras3.json"
	policy := func(class string, cfg any) map[string]any {
		return map[string]any{"module": "keras", "class_name": class, "config": cfg, "registered_name": nil}
	}
	cases := []struct {
		name string
		v    any
		want []string
	}{
		{"bfloat16", policy("DTypePolicy", map[string]any{"name": "mixed_bfloat16"}), []string{`"mixed_bfloat16" is not supported`, "mixed_float16", "save the model under"}},
		{"float64 name", "float64", []string{`"float64" is not supported`}},
		{"number", 16, []string{"want a policy name", "got 16"}},
		{"quantized", policy("QuantizedDTypePolicy", map[string]any{"name": "int8_from_float32"}), []string{`"QuantizedDTypePolicy" is not a dtype policy`}},
		{"no config", map[string]any{"class_name": "DTypePolicy"}, []string{`want "config": {"name": ...}`}},
		{"name not a string", policy("Policy", map[string]any{"name": 7}), []string{`config "name" must be a policy name`, "got 7"}},
		{"loss scale", policy("Policy", map[string]any{"name": "mixed_float16", "loss_scale": "dynamic"}), []string{`config key "loss_scale" is not supported`}},
		{"stray key", map[string]any{"class_name": "Policy", "config": map[string]any{"name": "float32"}, "dtype": "x"}, []string{`policy object key "dtype"`}},
	}
	for _, c := range cases {
		data := mutateKeras(t, file, setKey("hidden", "dtype", c.v))
		_, err := ModelFromJSON(data)
		if err == nil {
			t.Errorf("%s: loaded", c.name)
			continue
		}
		for _, w := range append([]string{`layer "hidden" (Dense)`, `config "dtype"`}, c.want...) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.name, err, w)
			}
		}
	}
}

// TestMixedModelJSONRoundTrip builds a model in Go, its output layer kept
// in float32 (WithDType), compiles it in mixed precision and saves it:
// LoadModel gives a mixed-precision model with the same layer policies
// and the same model.json, and Compile compiles it mixed. A float32
// model's model.json is as before (every layer "float32"), and a float32
// Keras file's "float32" entries do not keep layers out of mixed
// precision compiled later.
func TestMixedModelJSONRoundTrip(t *testing.T) {
	ClearSession()
	build := func() *Model {
		m, err := NewSequential(Dense(8, WithInputShape(4), WithActivation("relu"), WithName("h")),
			Dense(3, WithActivation("softmax"), WithName("out"), WithDType(PolicyFloat32)))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := build()
	plain, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(plain), "Policy") || strings.Count(string(plain), `"dtype":"float32"`) != 3 {
		t.Errorf("a float32 model's ToJSON changed:\n%s", plain)
	}
	if err := m.CompileWith(Adam(0.01), "categorical_crossentropy", nil, WithMixedPrecision()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := SaveModel(m, dir); err != nil {
		t.Fatal(err)
	}
	back, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p := back.Precision(); p != PolicyMixedFloat16 {
		t.Fatalf("loaded model's Precision %q, want %q", p, PolicyMixedFloat16)
	}
	first, _ := m.ToJSON()
	second, err := back.ToJSON()
	if err != nil || string(first) != string(second) {
		t.Errorf("model.json does not round-trip (%v):\n%s\n%s", err, first, second)
	}
	if !strings.Contains(string(second), `"name":"h","trainable":true,"dtype":{"class_name":"Policy","config":{"name":"mixed_float16"}}`) ||
		!strings.Contains(string(second), `"name":"out","trainable":true,"dtype":"float32"`) {
		t.Errorf("layer policies not written:\n%s", second)
	}
	if err := back.Compile(Adam(0.01), "categorical_crossentropy"); err != nil {
		t.Fatal(err)
	}
	if s, err := back.LossScale(); err != nil || s != defaultInitialLossScale {
		t.Errorf("loaded model compiles with loss scale %v (%v), want Keras's initial %v", s, err, defaultInitialLossScale)
	}
	// SetPrecision(float32) makes the model float32, and its model.json so.
	if err := back.SetPrecision(PolicyFloat32); err != nil {
		t.Fatal(err)
	}
	if js, _ := back.ToJSON(); strings.Contains(string(js), "mixed_float16") {
		t.Errorf("a model set to float32 writes mixed_float16:\n%s", js)
	}

	ClearSession()
	f32 := loadKeras(t, "merge_functional_keras3.json") // every layer's dtype a float32 DTypePolicy
	if err := f32.CompileWith(Adam(0.01), "categorical_crossentropy", nil, WithMixedPrecision()); err != nil {
		t.Fatal(err)
	}
	for _, v := range f32.Variables() {
		if !strings.HasSuffix(v.Name, "/kernel") {
			continue
		}
		if f16, f32n := kernelProducts(t, f32, v); f16 == 0 || f32n != 0 {
			t.Errorf("%s: %d float16 and %d float32 products; a float32 file's layers follow the model", v.Name, f16, f32n)
		}
	}
}

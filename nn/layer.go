package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/internal/hostmem"
	"github.com/anvil-ml/anvil/tensor"
)

// Layer is a Keras layer. Call it on symbolic tensors to build a functional
// model, or add it to a Sequential model.
type Layer interface {
	// Name is the layer's Keras name, automatic ("dense_1") or given.
	Name() string
	// ClassName is the Keras class, e.g. "Dense".
	ClassName() string
	// Call applies the layer to symbolic inputs. An error (such as a shape
	// mismatch) travels with the result and is reported by NewModel.
	Call(inputs ...*Symbol) *Symbol
	// Weights returns the layer's variables in Keras order (kernel, then
	// bias; BatchNormalization: gamma, beta, moving mean, moving variance).
	Weights() []*Variable
	// OutputShape is the per-sample output shape once the layer is built.
	OutputShape() tensor.Shape
	// Activation names the activation the layer applies to its output
	// ("linear" when none).
	Activation() string

	base() *layerBase
}

// impl is what each layer type supplies: its shape rule and its ops.
type impl interface {
	// build checks the input shapes, creates the variables and returns the
	// per-sample output shape.
	build(in []tensor.Shape) (tensor.Shape, error)
	// forward emits the layer's ops (without its activation) and returns
	// the buffer holding the result. Views return an input buffer.
	forward(e *emitter, in []tensor.BufferID) tensor.BufferID
	// backward emits the gradient ops. dOut is the gradient of the output
	// (before the activation); it returns the gradient of each input that
	// needs one (NoBuffer elsewhere) and writes the variables' gradients.
	backward(e *emitter, in []tensor.BufferID, out, dOut tensor.BufferID, need []bool) []tensor.BufferID
}

// layerBase holds what every layer shares.
type layerBase struct {
	name, class string
	cfg         config
	err         error
	impl        impl
	act         tensor.ActFn
	alpha       float32
	built       bool
	inShapes    []tensor.Shape
	outShape    tensor.Shape
	vars        []*Variable
	calls       int
	// allocErr is the first variable too large for the host's memory;
	// addVar allocates nothing then, and buildFor reports it.
	allocErr error
}

func newBase(class string, allowed []string, opts []Option, im impl) *layerBase {
	cfg, err := parseOptions(class, allowed, opts)
	b := &layerBase{class: class, cfg: cfg, err: err, impl: im, alpha: activationSlope}
	b.name = cfg.name
	if b.name == "" {
		b.name = uniqueName(snakeCase(class))
	}
	if err == nil && cfg.activation != "" {
		b.act, b.err = tensor.ParseActFn(cfg.activation)
	}
	return b
}

func (b *layerBase) Name() string              { return b.name }
func (b *layerBase) ClassName() string         { return b.class }
func (b *layerBase) Weights() []*Variable      { return b.vars }
func (b *layerBase) OutputShape() tensor.Shape { return b.outShape.Clone() }
func (b *layerBase) base() *layerBase          { return b }
func (b *layerBase) Activation() string        { return b.act.String() }

// Call implements Layer.
func (b *layerBase) Call(inputs ...*Symbol) *Symbol {
	out := &Symbol{node: &node{layer: b, inputs: inputs}}
	for _, in := range inputs {
		if in == nil {
			out.err = fmt.Errorf("layer %q (%s): called on a nil tensor", b.name, b.class)
			return out
		}
		if in.err != nil {
			out.err = in.err
			return out
		}
	}
	shapes := make([]tensor.Shape, len(inputs))
	for i, in := range inputs {
		shapes[i] = in.shape
	}
	out.shape, out.err = b.buildFor(shapes)
	b.calls++
	return out
}

// buildFor builds the layer on first use and checks later calls against
// the shapes it was built for (a layer's weights fix its input shape).
func (b *layerBase) buildFor(shapes []tensor.Shape) (tensor.Shape, error) {
	if b.err != nil {
		return nil, fmt.Errorf("layer %q: %w", b.name, b.err)
	}
	if b.built {
		if !sameShapes(b.inShapes, shapes) {
			return nil, fmt.Errorf("layer %q (%s) was built for input %v and cannot take %v",
				b.name, b.class, shapesString(b.inShapes), shapesString(shapes))
		}
		return b.outShape.Clone(), nil
	}
	out, err := b.impl.build(shapes)
	if err == nil && b.allocErr != nil {
		err, b.allocErr, b.vars = b.allocErr, nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("layer %q (%s) with input %v: %w", b.name, b.class, shapesString(shapes), err)
	}
	b.built, b.inShapes, b.outShape = true, shapes, out
	return out.Clone(), nil
}

// addVar creates one of the layer's variables, initialised on the host
// with the fans Keras computes from its shape.
func (b *layerBase) addVar(name string, shape tensor.Shape, trainable bool, init Initializer) *Variable {
	v := &Variable{Name: b.name + "/" + name, Shape: shape.Clone(), Trainable: trainable}
	if r, ok := b.cfg.regularizers[name]; ok {
		v.reg = &r
	}
	if b.allocErr == nil {
		b.allocErr = hostmem.Check(int64(shape.Size())*4, fmt.Sprintf("its %s variable of shape %v would", name, shape),
			"the layer's size (units, filters or kernel size) or its input's")
	}
	if b.allocErr != nil {
		// Nothing is allocated; buildFor reports the error once the
		// layer's build returns.
		v.data = make([]float32, 0)
		b.vars = append(b.vars, v)
		return v
	}
	fanIn, fanOut := kerasFans(shape)
	v.data = init.Init(shape.Size(), fanIn, fanOut, newInitStream(v.Name))
	b.vars = append(b.vars, v)
	return v
}

func sameShapes(a, b []tensor.Shape) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

func shapesString(s []tensor.Shape) string {
	if len(s) == 1 {
		return s[0].BatchString()
	}
	out := "["
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x.BatchString()
	}
	return out + "]"
}

// oneInput is the shape check shared by single-input layers.
func oneInput(in []tensor.Shape) (tensor.Shape, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("takes one input, got %d", len(in))
	}
	return in[0], nil
}

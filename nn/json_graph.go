package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/tensor"
)

// nodeRef names one tensor in a functional config: output tensor of call
// (node) number node of a layer.
type nodeRef struct {
	layer        string
	node, tensor int
}

// graphLayer is one layer of a functional config while it is rebuilt.
type graphLayer struct {
	name  string
	layer Layer     // nil for an InputLayer
	cfg   *layerCfg // nil for an InputLayer
	nodes [][]nodeRef
}

// graphBuild holds the outputs made so far: outs[name][k] is the output of
// the k-th call of the layer called name.
type graphBuild struct {
	layers []*graphLayer
	byName map[string]*graphLayer
	outs   map[string][]*Symbol
	params int
}

func functionalFromJSON(g kerasGraph) (*Model, error) {
	b := &graphBuild{byName: map[string]*graphLayer{}, outs: map[string][]*Symbol{}}
	for _, e := range g.Layers {
		if err := b.addEntry(e); err != nil {
			return nil, err
		}
	}
	if err := b.callAll(); err != nil {
		return nil, err
	}
	inRefs, err := parseRefList(g.InputLayers, "input_layers")
	if err != nil {
		return nil, err
	}
	outRefs, err := parseRefList(g.OutputLayers, "output_layers")
	if err != nil {
		return nil, err
	}
	if len(outRefs) != 1 {
		return nil, fmt.Errorf("output_layers names %d outputs; Anvil models have exactly one", len(outRefs))
	}
	m := &Model{name: orDefault(g.Name, "model")}
	for _, r := range inRefs {
		s, err := b.lookup(r, "input_layers")
		if err != nil {
			return nil, err
		}
		m.inputs = append(m.inputs, s)
	}
	if m.output, err = b.lookup(outRefs[0], "output_layers"); err != nil {
		return nil, err
	}
	if err := m.link(); err != nil {
		return nil, err
	}
	return m, nil
}

// addEntry records one layer entry and builds the layer (not yet called).
func (b *graphBuild) addEntry(e kerasEntry) error {
	name := entryName(e)
	if b.byName[name] != nil {
		return fmt.Errorf("two layers are named %q; Keras requires unique names", name)
	}
	gl := &graphLayer{name: name}
	if e.ClassName == "InputLayer" {
		s, err := inputFromEntry(e)
		if err != nil {
			return err
		}
		b.outs[name] = []*Symbol{s}
		gl.nodes = [][]nodeRef{nil}
	} else {
		var err error
		if gl.layer, gl.cfg, err = layerFromEntry(e); err != nil {
			return err
		}
		if gl.nodes, err = parseInboundNodes(e.InboundNodes); err != nil {
			return fmt.Errorf("layer %q: inbound_nodes: %w", name, err)
		}
	}
	b.layers = append(b.layers, gl)
	b.byName[name] = gl
	return nil
}

// callAll calls each layer on its inbound nodes, in file order, as their
// inputs become available; like Keras it makes passes until no node can
// be built, so the file need not list layers in dependency order.
func (b *graphBuild) callAll() error {
	for progress := true; progress; {
		progress = false
		for _, gl := range b.layers {
			for k := len(b.outs[gl.name]); k < len(gl.nodes); k++ {
				ok, err := b.callNode(gl, k)
				if err != nil {
					return err
				}
				if !ok {
					break
				}
				progress = true
			}
		}
	}
	for _, gl := range b.layers {
		if done := len(b.outs[gl.name]); done < len(gl.nodes) {
			return fmt.Errorf("layer %q: inbound node %d depends on itself (a cycle in the graph)", gl.name, done)
		}
	}
	return nil
}

// callNode makes node k of gl if its inputs exist; it reports false if
// they do not exist yet.
func (b *graphBuild) callNode(gl *graphLayer, k int) (bool, error) {
	var ins []*Symbol
	var shapes []tensor.Shape
	for _, r := range gl.nodes[k] {
		src := b.byName[r.layer]
		switch {
		case src == nil:
			return false, fmt.Errorf("layer %q: inbound node %d refers to layer %q, which is not in the model", gl.name, k, r.layer)
		case r.tensor != 0:
			return false, fmt.Errorf("layer %q: inbound node %d uses output %d of %q; Anvil layers have one output", gl.name, k, r.tensor, r.layer)
		case r.node >= len(src.nodes):
			return false, fmt.Errorf("layer %q: inbound node %d uses call %d of %q, which has %d", gl.name, k, r.node, r.layer, len(src.nodes))
		case r.node >= len(b.outs[r.layer]):
			return false, nil
		}
		s := b.outs[r.layer][r.node]
		ins, shapes = append(ins, s), append(shapes, s.shape)
	}
	if len(ins) == 0 {
		return false, fmt.Errorf("layer %q: inbound node %d has no inputs", gl.name, k)
	}
	if err := countParams(&b.params, gl.layer, shapes); err != nil {
		return false, err
	}
	out := gl.layer.Call(ins...)
	if out.Err() != nil {
		return false, out.Err()
	}
	if err := gl.cfg.checkAxes(len(shapes[0])); err != nil {
		return false, err
	}
	b.outs[gl.name] = append(b.outs[gl.name], out)
	return true, nil
}

// lookup finds the tensor an input_layers or output_layers entry names.
func (b *graphBuild) lookup(r nodeRef, key string) (*Symbol, error) {
	outs := b.outs[r.layer]
	if r.node >= len(outs) || r.tensor != 0 {
		return nil, fmt.Errorf("%s: [%q, %d, %d] names no tensor of the model", key, r.layer, r.node, r.tensor)
	}
	return outs[r.node], nil
}

// parseInboundNodes reads a layer's calls in either Keras layout:
// tf.keras 2.x's [[["dense", 0, 0, {}], ...], ...] (one list of inputs per
// call) or Keras 3's [{"args": [...], "kwargs": {...}}, ...] with the inputs
// as __keras_tensor__ objects inside args.
func parseInboundNodes(v any) ([][]nodeRef, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list of calls, got %s", compact(v))
	}
	out := make([][]nodeRef, len(list))
	for i, n := range list {
		var err error
		switch n := n.(type) {
		case []any:
			out[i], err = parseKeras2Node(n)
		case map[string]any:
			out[i], err = parseKeras3Node(n)
		default:
			err = fmt.Errorf("call %d is %s", i, compact(n))
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func parseKeras2Node(n []any) ([]nodeRef, error) {
	refs := make([]nodeRef, len(n))
	for i, t := range n {
		l, _ := t.([]any)
		if len(l) == 4 {
			if err := noCallArgs(l[3]); err != nil {
				return nil, err
			}
			l = l[:3]
		}
		r, err := parseRef(l)
		if err != nil {
			return nil, err
		}
		refs[i] = r
	}
	return refs, nil
}

func parseKeras3Node(n map[string]any) ([]nodeRef, error) {
	if err := noCallArgs(n["kwargs"]); err != nil {
		return nil, err
	}
	var refs []nodeRef
	var walk func(v any) error
	walk = func(v any) error {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				if err := walk(x); err != nil {
					return err
				}
			}
			return nil
		case map[string]any:
			if v["class_name"] == "__keras_tensor__" {
				cfg, _ := v["config"].(map[string]any)
				h, _ := cfg["keras_history"].([]any)
				r, err := parseRef(h)
				refs = append(refs, r)
				return err
			}
		}
		return fmt.Errorf("call argument %s is not supported: Anvil layers take only tensors", compact(v))
	}
	return refs, walk(n["args"])
}

// noCallArgs accepts call keyword arguments only when none is set.
func noCallArgs(v any) error {
	kw, ok := v.(map[string]any)
	if v != nil && !ok {
		return fmt.Errorf("call keyword arguments %s are not an object", compact(v))
	}
	for k, x := range kw {
		if x != nil {
			return fmt.Errorf("call keyword argument %s = %s is not supported", k, compact(x))
		}
	}
	return nil
}

// parseRef reads [layer_name, node_index, tensor_index].
func parseRef(l []any) (nodeRef, error) {
	if len(l) != 3 {
		return nodeRef{}, fmt.Errorf("want [layer_name, node_index, tensor_index], got %s", compact(l))
	}
	name, ok := l[0].(string)
	node, err1 := toInt(l[1])
	tensor, err2 := toInt(l[2])
	if !ok || err1 != nil || err2 != nil || node < 0 || tensor < 0 {
		return nodeRef{}, fmt.Errorf("want [layer_name, node_index, tensor_index], got %s", compact(l))
	}
	return nodeRef{name, node, tensor}, nil
}

// parseRefList reads input_layers or output_layers: a list of refs, or
// (Keras 3, one tensor) a single ref.
func parseRefList(v any, key string) ([]nodeRef, error) {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return nil, fmt.Errorf("%s: want a list of [layer_name, node_index, tensor_index], got %s", key, compact(v))
	}
	if _, single := l[0].(string); single {
		l = []any{l}
	}
	refs := make([]nodeRef, len(l))
	for i, x := range l {
		r, err := parseRef(asList(x))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		refs[i] = r
	}
	return refs, nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

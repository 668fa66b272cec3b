package nn

import (
	"fmt"

	"github.com/anvil-ml/anvil/format/kerasjson"
	"github.com/anvil-ml/anvil/tensor"
)

// graphLayer is one layer of a functional config while it is rebuilt.
type graphLayer struct {
	name  string
	layer Layer     // nil for an InputLayer
	cfg   *layerCfg // nil for an InputLayer
	nodes [][]kerasjson.NodeRef
}

// graphBuild holds the outputs made so far: outs[name][k] is the output of
// the k-th call of the layer called name.
type graphBuild struct {
	layers []*graphLayer
	byName map[string]*graphLayer
	outs   map[string][]*Symbol
	params int
}

func functionalFromJSON(g kerasjson.Graph) (*Model, error) {
	b := &graphBuild{byName: map[string]*graphLayer{}, outs: map[string][]*Symbol{}}
	for _, e := range g.Layers {
		if err := b.addEntry(e); err != nil {
			return nil, err
		}
	}
	if err := b.callAll(); err != nil {
		return nil, err
	}
	inRefs, err := kerasjson.ParseRefList(g.InputLayers, "input_layers")
	if err != nil {
		return nil, err
	}
	outRefs, err := kerasjson.ParseRefList(g.OutputLayers, "output_layers")
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
func (b *graphBuild) addEntry(e kerasjson.Entry) error {
	name := kerasjson.EntryName(e)
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
		gl.nodes = [][]kerasjson.NodeRef{nil}
	} else {
		var err error
		if gl.layer, gl.cfg, err = layerFromEntry(e); err != nil {
			return err
		}
		if gl.nodes, err = kerasjson.ParseInboundNodes(e.InboundNodes); err != nil {
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
		src := b.byName[r.Layer]
		switch {
		case src == nil:
			return false, fmt.Errorf("layer %q: inbound node %d refers to layer %q, which is not in the model", gl.name, k, r.Layer)
		case r.Tensor != 0:
			return false, fmt.Errorf("layer %q: inbound node %d uses output %d of %q; Anvil layers have one output", gl.name, k, r.Tensor, r.Layer)
		case r.Node >= len(src.nodes):
			return false, fmt.Errorf("layer %q: inbound node %d uses call %d of %q, which has %d", gl.name, k, r.Node, r.Layer, len(src.nodes))
		case r.Node >= len(b.outs[r.Layer]):
			return false, nil
		}
		s := b.outs[r.Layer][r.Node]
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
	if err := gl.cfg.CheckAxes(len(shapes[0])); err != nil {
		return false, err
	}
	b.outs[gl.name] = append(b.outs[gl.name], out)
	return true, nil
}

// lookup finds the tensor an input_layers or output_layers entry names.
func (b *graphBuild) lookup(r kerasjson.NodeRef, key string) (*Symbol, error) {
	outs := b.outs[r.Layer]
	if r.Node >= len(outs) || r.Tensor != 0 {
		return nil, fmt.Errorf("%s: [%q, %d, %d] names no tensor of the model", key, r.Layer, r.Node, r.Tensor)
	}
	return outs[r.Node], nil
}

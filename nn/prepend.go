package nn

import "fmt"

// Prepend returns a model that runs front's layers on m's input and then
// m's layers, which it reuses with their weights: e.g. augmentation in
// front of a built model. m must have one input and not be compiled; its
// layers must accept what front's last layer gives. m is consumed: use
// only the returned model afterwards.
func Prepend(m *Model, front ...Layer) (*Model, error) {
	if m == nil || m.compiled != nil || len(m.inputs) != 1 {
		return nil, fmt.Errorf("prepend: want an uncompiled model with one input")
	}
	in := Input(m.inputs[0].shape...)
	x := in
	for _, l := range front {
		x = l.Call(x)
	}
	syms := map[*node]*Symbol{m.inputs[0].node: x}
	var reused []*layerBase
	for _, n := range m.nodes {
		if n.inputs == nil {
			continue
		}
		args := make([]*Symbol, len(n.inputs))
		for j, s := range n.inputs {
			args[j] = syms[s.node]
		}
		syms[n] = layerOf(n.layer).Call(args...)
		reused = append(reused, n.layer)
	}
	out, err := NewModel([]*Symbol{in}, syms[m.output.node])
	if err != nil {
		return nil, fmt.Errorf("prepend to %q: %w", m.name, err)
	}
	for _, b := range reused {
		b.calls-- // the call in m, which is dropped, no longer counts
	}
	return out, nil
}

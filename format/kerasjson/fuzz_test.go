package kerasjson

import "testing"

// FuzzParse checks that no document, however broken, makes the readers
// panic: Parse, and on each layer entry the inbound nodes, the input shape
// and a full config read. Run it with:
// go test ./format/kerasjson -run '^$' -fuzz FuzzParse -fuzztime 60s
// (nn's FuzzModelFromJSON fuzzes the whole import on top of it.)
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [null, 3]}}]}`))
	f.Add([]byte(`{"class_name": "Functional", "config": {"name": "m", "layers": [
		{"class_name": "InputLayer", "name": "in", "config": {"batch_input_shape": [null, 4]}, "inbound_nodes": []},
		{"class_name": "Dense", "name": "d", "config": {"units": 2, "kernel_size": [3, 3]}, "inbound_nodes": [[["in", 0, 0, {}]]]}],
		"input_layers": [["in", 0, 0]], "output_layers": ["d", 0, 0]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, g, err := Parse(data)
		if err != nil {
			return
		}
		ParseRefList(g.InputLayers, "input_layers")
		ParseRefList(g.OutputLayers, "output_layers")
		for _, e := range g.Layers {
			ParseInboundNodes(e.InboundNodes)
			BatchInputShape(e.Config, 1<<16)
			c := NewConfig(e.ClassName, EntryName(e), e.Config)
			c.Int("units", 0)
			c.Pair("kernel_size", [2]int{1, 1})
			c.Number("rate", 0)
			c.Axis("axis")
			c.CheckAxes(3)
			c.Done()
		}
	})
}

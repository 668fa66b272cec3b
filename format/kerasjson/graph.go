package kerasjson

import "fmt"

// NodeRef names one tensor in a functional config: output Tensor of call
// (node) number Node of the layer called Layer.
type NodeRef struct {
	Layer        string
	Node, Tensor int
}

// ParseInboundNodes reads a layer's calls in either Keras layout:
// tf.keras 2.x's [[["dense", 0, 0, {}], ...], ...] (one list of inputs per
// call) or Keras 3's [{"args": [...], "kwargs": {...}}, ...] with the inputs
// as __keras_tensor__ objects inside args.
func ParseInboundNodes(v any) ([][]NodeRef, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list of calls, got %s", Compact(v))
	}
	out := make([][]NodeRef, len(list))
	for i, n := range list {
		var err error
		switch n := n.(type) {
		case []any:
			out[i], err = parseKeras2Node(n)
		case map[string]any:
			out[i], err = parseKeras3Node(n)
		default:
			err = fmt.Errorf("call %d is %s", i, Compact(n))
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseKeras2Node reads one tf.keras 2.x call: a list of
// [layer_name, node_index, tensor_index, kwargs].
func parseKeras2Node(n []any) ([]NodeRef, error) {
	refs := make([]NodeRef, len(n))
	for i, t := range n {
		l, _ := t.([]any)
		if len(l) == 4 {
			if err := noCallArgs(l[3]); err != nil {
				return nil, err
			}
			l = l[:3]
		}
		r, err := ParseRef(l)
		if err != nil {
			return nil, err
		}
		refs[i] = r
	}
	return refs, nil
}

// parseKeras3Node reads one Keras 3 call, whose tensors are
// __keras_tensor__ objects inside args.
func parseKeras3Node(n map[string]any) ([]NodeRef, error) {
	if err := noCallArgs(n["kwargs"]); err != nil {
		return nil, err
	}
	var refs []NodeRef
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
				r, err := ParseRef(h)
				refs = append(refs, r)
				return err
			}
		}
		return fmt.Errorf("call argument %s is not supported: Anvil layers take only tensors", Compact(v))
	}
	return refs, walk(n["args"])
}

// noCallArgs accepts call keyword arguments only when none is set.
func noCallArgs(v any) error {
	kw, ok := v.(map[string]any)
	if v != nil && !ok {
		return fmt.Errorf("call keyword arguments %s are not an object", Compact(v))
	}
	for k, x := range kw {
		if x != nil {
			return fmt.Errorf("call keyword argument %s = %s is not supported", k, Compact(x))
		}
	}
	return nil
}

// ParseRef reads [layer_name, node_index, tensor_index].
func ParseRef(l []any) (NodeRef, error) {
	if len(l) != 3 {
		return NodeRef{}, fmt.Errorf("want [layer_name, node_index, tensor_index], got %s", Compact(l))
	}
	name, ok := l[0].(string)
	node, err1 := ToInt(l[1])
	tensor, err2 := ToInt(l[2])
	if !ok || err1 != nil || err2 != nil || node < 0 || tensor < 0 {
		return NodeRef{}, fmt.Errorf("want [layer_name, node_index, tensor_index], got %s", Compact(l))
	}
	return NodeRef{Layer: name, Node: node, Tensor: tensor}, nil
}

// ParseRefList reads input_layers or output_layers: a list of refs, or
// (Keras 3, one tensor) a single ref.
func ParseRefList(v any, key string) ([]NodeRef, error) {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return nil, fmt.Errorf("%s: want a list of [layer_name, node_index, tensor_index], got %s", key, Compact(v))
	}
	if _, single := l[0].(string); single {
		l = []any{l}
	}
	refs := make([]NodeRef, len(l))
	for i, x := range l {
		r, err := ParseRef(asList(x))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		refs[i] = r
	}
	return refs, nil
}

// asList is v as a list, or nil.
func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

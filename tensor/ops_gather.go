package tensor

import "fmt"

// GatherRows fills a batch from a dataset that stays resident in the
// program (a DataBuffer), through the epoch's sample order, so a step needs
// no upload. For r < Rows:
//
//	Dst[r, f] = convert(Src[Order[Start+r], f])   for f < Features
//
// where Start is StepArgs.Start and convert is Table[b] for a Uint8 Src (a
// 256-entry float32 table the host computes, e.g. b/255 exactly as
// float32(b)/255, so every device scales bit-identically) and the identity
// for a Float32 Src. Order holds Int32 sample numbers in 0..Count-1 where
// Count = Src elements / Features. Rows ≥ Rows are left as they are.
type GatherRows struct {
	Src, Order, Table, Dst BufferID
	Features               int
}

// Accesses implements Op.
func (o GatherRows) Accesses() []Access {
	return []Access{rdWhole(o.Src), rdWhole(o.Order), rd(o.Table, 256, false), wr(o.Dst, o.Features, true)}
}

// Check implements Checker.
func (o GatherRows) Check(p *Plan) error {
	if err := firstErr(positive("Features", o.Features),
		required(operand{"Src", o.Src}, operand{"Order", o.Order}, operand{"Dst", o.Dst})); err != nil {
		return err
	}
	if err := p.checkGatherSource(o.Src, o.Order, o.Features); err != nil {
		return err
	}
	src := p.Buffers[o.Src].DType
	switch {
	case src == Uint8 && o.Table == NoBuffer:
		return fmt.Errorf("a uint8 source needs a 256-entry Table")
	case src == Float32 && o.Table != NoBuffer:
		return fmt.Errorf("a float32 source takes no Table")
	case src == Int32:
		return fmt.Errorf("source %q is int32; gather labels with GatherLabels", p.Buffers[o.Src].Name)
	}
	return p.wantFloat(o.Table, o.Dst)
}

// GatherLabels fills a batch of targets from resident Int32 class labels
// through the epoch's sample order. With Classes > 0 each row becomes a
// one-hot row of Classes floats (for categorical losses and metrics); with
// Classes == 0 each row is the label as one float (sparse losses). For
// r < Rows, with c = Labels[Order[Start+r]]:
//
//	one-hot: Dst[r, k] = 1 if k == c else 0   for k < Classes
//	sparse:  Dst[r]    = float32(c)
type GatherLabels struct {
	Labels, Order, Dst BufferID
	Classes            int
}

// Accesses implements Op.
func (o GatherLabels) Accesses() []Access {
	return []Access{rdWhole(o.Labels), rdWhole(o.Order), wr(o.Dst, max(o.Classes, 1), true)}
}

// Check implements Checker.
func (o GatherLabels) Check(p *Plan) error {
	if o.Classes < 0 {
		return fmt.Errorf("Classes %d must not be negative", o.Classes)
	}
	if err := required(operand{"Labels", o.Labels}, operand{"Order", o.Order}, operand{"Dst", o.Dst}); err != nil {
		return err
	}
	if err := p.checkGatherSource(o.Labels, o.Order, 1); err != nil {
		return err
	}
	if p.Buffers[o.Labels].DType != Int32 {
		return fmt.Errorf("labels %q must be int32", p.Buffers[o.Labels].Name)
	}
	return p.wantFloat(o.Dst)
}

// ScatterRows writes a batch into a resident buffer that collects many
// steps' rows (predictions read back once per call instead of once per
// step), at the rows the step's gathers read. For r < Rows:
//
//	Dst[(Start+r)·Features + f] = Src[r·Features + f]   for f < Features
//
// where Start is StepArgs.Start. Dst is a non-batched float32 DataBuffer
// holding a whole number of rows; Run rejects a step whose rows pass its
// end. Rows of Dst no step writes are left as they are.
type ScatterRows struct {
	Src, Dst BufferID
	Features int
}

// Accesses implements Op.
func (o ScatterRows) Accesses() []Access {
	return []Access{rd(o.Src, o.Features, true), wr(o.Dst, 0, false)}
}

// Check implements Checker.
func (o ScatterRows) Check(p *Plan) error {
	if err := firstErr(positive("Features", o.Features),
		required(operand{"Src", o.Src}, operand{"Dst", o.Dst})); err != nil {
		return err
	}
	if o.Dst < 0 || int(o.Dst) >= len(p.Buffers) {
		return fmt.Errorf("buffer %d does not exist", o.Dst)
	}
	if b := p.Buffers[o.Dst]; b.Kind != DataBuffer || b.Batched {
		return fmt.Errorf("destination %q must be a non-batched data buffer, is %v (batched=%v)", b.Name, b.Kind, b.Batched)
	}
	if n := p.Elems(o.Dst); n == 0 || n%o.Features != 0 {
		return fmt.Errorf("destination %q holds %d elements, not a whole number of %d-feature rows", p.Buffers[o.Dst].Name, n, o.Features)
	}
	return p.wantFloat(o.Src, o.Dst)
}

// rdWhole reads every element of a non-batched buffer; the size is taken
// from the plan when the access is checked, so it is given as 0 here.
func rdWhole(b BufferID) Access { return rd(b, 0, false) }

// checkGatherSource checks a dataset buffer and an order buffer.
func (p *Plan) checkGatherSource(src, order BufferID, features int) error {
	for _, id := range []BufferID{src, order} {
		if id < 0 || int(id) >= len(p.Buffers) {
			return fmt.Errorf("buffer %d does not exist", id)
		}
		if b := p.Buffers[id]; b.Kind != DataBuffer || b.Batched {
			return fmt.Errorf("buffer %q must be a non-batched data buffer, is %v (batched=%v)", b.Name, b.Kind, b.Batched)
		}
	}
	if p.Buffers[order].DType != Int32 {
		return fmt.Errorf("order %q must be int32", p.Buffers[order].Name)
	}
	if n := p.Elems(src); n%features != 0 {
		return fmt.Errorf("source %q holds %d elements, not a whole number of %d-feature samples", p.Buffers[src].Name, n, features)
	}
	return nil
}

// wantFloat rejects a non-float32 buffer among ids (NoBuffer is skipped).
func (p *Plan) wantFloat(ids ...BufferID) error {
	for _, id := range ids {
		if id >= 0 && int(id) < len(p.Buffers) && p.Buffers[id].DType != Float32 {
			return fmt.Errorf("buffer %q must be float32, is %v", p.Buffers[id].Name, p.Buffers[id].DType)
		}
	}
	return nil
}

package tensor

import "fmt"

// Checker is implemented by every op type of this package. Check rejects
// fields no backend can run (sizes, kinds, geometry, rates, absent
// operands) before Accesses is computed, so that Accesses never divides by
// zero and Plan.Validate can then check every buffer the op touches.
// Backends trust a validated plan and only bind it.
type Checker interface {
	Check(p *Plan) error
}

// positive rejects sizes that are zero or negative; names lists them for
// the message.
func positive(names string, vals ...int) error {
	for _, v := range vals {
		if v <= 0 {
			return fmt.Errorf("sizes %s must be positive, got %v", names, vals)
		}
	}
	return nil
}

// operand names one buffer of an op for required's message.
type operand struct {
	role string
	id   BufferID
}

// required rejects a NoBuffer among operands an op cannot do without.
func required(ops ...operand) error {
	for _, o := range ops {
		if o.id == NoBuffer {
			return fmt.Errorf("operand %s is required but is NoBuffer", o.role)
		}
	}
	return nil
}

// firstErr returns the first non-nil error, so a Check reads as a list.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// check rejects a geometry the kernels cannot index; filters says whether
// F is used (convolution) or not (pooling).
func (g ConvGeom) check(filters bool) error {
	if err := positive("H, W, C, KH, KW, SH, SW, OH, OW", g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.OH, g.OW); err != nil {
		return err
	}
	if filters {
		if err := positive("F", g.F); err != nil {
			return err
		}
	}
	if g.PadTop < 0 || g.PadLeft < 0 {
		return fmt.Errorf("padding %d, %d must not be negative", g.PadTop, g.PadLeft)
	}
	return nil
}

// checkWidths checks the widths of a Concat or Split against its buffers.
func checkWidths(bufs []BufferID, widths []int, outer int) error {
	if len(bufs) != len(widths) || len(bufs) == 0 {
		return fmt.Errorf("%d buffers but %d widths", len(bufs), len(widths))
	}
	for _, w := range widths {
		if w <= 0 {
			return fmt.Errorf("widths %v must be positive", widths)
		}
	}
	if outer <= 0 {
		return fmt.Errorf("outer %d must be positive", outer)
	}
	for _, b := range bufs {
		if b == NoBuffer {
			return fmt.Errorf("operand %s is required but is NoBuffer", "a concatenated part")
		}
	}
	return nil
}

// checkGroups checks that size elements split into groups of width.
func checkGroups(what string, size, width int) error {
	if width <= 0 || size%width != 0 {
		return fmt.Errorf("%s Width %d must be positive and divide Size %d", what, width, size)
	}
	return nil
}

package tensor

// Dropout zeroes each element with probability Rate and scales the rest by
// 1/(1−Rate). Element i of sample n is kept when
// Uniform(seed, step, Salt, n·Size+i) ≥ Rate, so every backend draws the
// same mask for the same seed and step, and the backward pass recomputes it
// instead of storing it.
type Dropout struct {
	X, Y BufferID
	Size int
	Rate float32
	Salt uint32
}

// Accesses implements Op.
func (o Dropout) Accesses() []Access {
	return []Access{rd(o.X, o.Size, true), wr(o.Y, o.Size, true)}
}

// DropoutBackward computes DX = DY·mask/(1−Rate) with the mask of the
// Dropout op that has the same Salt, Size and Rate.
type DropoutBackward struct {
	DY, DX BufferID
	Size   int
	Rate   float32
	Salt   uint32
}

// Accesses implements Op.
func (o DropoutBackward) Accesses() []Access {
	return []Access{rd(o.DY, o.Size, true), wr(o.DX, o.Size, true)}
}

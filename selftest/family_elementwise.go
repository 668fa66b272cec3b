package selftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/anvil-ml/anvil/tensor"
)

// elementwiseFamilies: BiasAdd, Add, Concat and Split are each one
// correctly rounded float32 operation per element (or a copy), in the same
// order on both backends, so they must match exactly; BiasGrad is a sum.
func elementwiseFamilies() []family {
	return []family{
		{name: "bias-add", build: biasAddCases},
		{name: "bias-grad", build: biasGradCases},
		{name: "add", build: addCases},
		{name: "concat-split", build: concatCases},
		{name: "scatter-rows", build: scatterCases},
	}
}

// biasAddCases: one separate and one in-place BiasAdd over random sizes.
func biasAddCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "bias-add"
	for i, inPlace := range []bool{false, true, false} {
		outer, ch := between(r, 1, 40), between(r, 1, 70)
		p := fmt.Sprintf("bias%d ", i)
		x := c.buf(p+"X", tensor.ActivationBuffer, true, outer, ch)
		y := x
		if !inPlace {
			y = c.buf(p+"Y", tensor.ActivationBuffer, true, outer, ch)
		}
		c.emit(fmt.Sprintf("BiasAdd outer %d channels %d in-place %v", outer, ch, inPlace),
			tensor.BiasAdd{X: x, Bias: c.buf(p+"bias", tensor.ParamBuffer, false, ch), Y: y, Outer: outer, C: ch}, nil)
	}
	return []*opCase{c}
}

// biasGradCases reduce over fewer positions than one workgroup has
// invocations and over more.
func biasGradCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "bias-grad"
	for i, outer := range []int{1, between(r, 2, 20), between(r, 60, 120)} {
		ch := between(r, 1, 40)
		p := fmt.Sprintf("biasgrad%d ", i)
		c.emit(fmt.Sprintf("BiasGrad outer %d channels %d", outer, ch),
			tensor.BiasGrad{DY: c.buf(p+"DY", tensor.GradientBuffer, true, outer, ch),
				DBias: c.buf(p+"DBias", tensor.GradientBuffer, false, ch), Outer: outer, C: ch},
			func(rows int) Tol { return ReduceTol(rows*outer, 1) })
	}
	return []*opCase{c}
}

// addCases: a separate Add and one whose output aliases an input.
func addCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "add"
	for i, alias := range []bool{false, true} {
		size := between(r, 1, 300)
		p := fmt.Sprintf("add%d ", i)
		a := c.buf(p+"A", tensor.ActivationBuffer, true, size)
		y := a
		if !alias {
			y = c.buf(p+"Y", tensor.ActivationBuffer, true, size)
		}
		c.emit(fmt.Sprintf("Add size %d aliased %v", size, alias),
			tensor.Add{A: a, B: c.buf(p+"B", tensor.ActivationBuffer, true, size), Y: y, Size: size}, nil)
	}
	return []*opCase{c}
}

// concatCases joins 1-4 parts (one of them one wide) and splits the result.
func concatCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "concat-split"
	outer := between(r, 1, 9)
	widths := []int{1}
	for range between(r, 0, 3) {
		widths = append(widths, between(r, 1, 40))
	}
	total := 0
	var parts, back []tensor.BufferID
	for i, w := range widths {
		parts = append(parts, c.buf(fmt.Sprintf("part%d", i), tensor.ActivationBuffer, true, outer, w))
		back = append(back, c.buf(fmt.Sprintf("split%d", i), tensor.ActivationBuffer, true, outer, w))
		total += w
	}
	cat := c.buf("concat", tensor.ActivationBuffer, true, outer, total)
	split := c.buf("split input", tensor.ActivationBuffer, true, outer, total)
	desc := fmt.Sprintf("outer %d widths %v", outer, widths)
	c.emit("Concat "+desc, tensor.Concat{Inputs: parts, Widths: widths, Y: cat, Outer: outer}, nil)
	c.emit("Split "+desc, tensor.Split{X: split, Outputs: back, Widths: widths, Outer: outer}, nil)
	return []*opCase{c}
}

// scatterCases: ScatterRows (a copy, so exact) into a float32 data buffer
// with a few rows more than a batch, which must be left as they were.
func scatterCases(r *rand.Rand) []*opCase {
	batch, rows := batchRows(r)
	c := newCase(batch, rows...)
	c.name = "scatter-rows"
	f, spare := between(r, 1, 300), between(r, 0, 5)
	c.emit(fmt.Sprintf("ScatterRows features %d spare rows %d", f, spare),
		tensor.ScatterRows{Src: c.buf("scatter Src", tensor.ActivationBuffer, true, f),
			Dst: c.buf("scatter Dst", tensor.DataBuffer, false, (batch+spare)*f), Features: f}, nil)
	return []*opCase{c}
}

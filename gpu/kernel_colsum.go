package gpu

import (
	"github.com/anvil-ml/anvil/gpu/internal/vk"
)

// The column reductions: per-channel sums over the rows·outer positions of
// a row-major matrix (BiasGrad, BatchNormBackward's sums,
// LayerNormParamGrad), in one pass of many workgroups per block of
// adjacent channels and, when the positions are cut into slices, a second
// pass that adds the slices in order. Shaders: colsum.glsl (included by
// bias_grad, bn_backward_sums, bn_backward_sums_act, layernorm_param_grad
// and colsum_merge) and colsum_merge.

// colMaxLanes is the most adjacent channels one workgroup reduces side by
// side: a 32-invocation warp then reads 128 contiguous bytes of a row.
const colMaxLanes = 32

// colOnePass is the most positions per invocation that a reduction adds
// in one pass, uncut: up to it (a dense layer's batch of up to 512 at 32
// channels per workgroup), the loads of one pass cost less than the merge
// dispatch and its barrier would (about 7 µs of an H200's time).
const colOnePass = 64

// colSliceLen is how many positions each invocation of a slice adds at
// least, once a reduction is cut: enough to amortise the slice's
// shared-memory tree, few enough to reach colTargetGroups.
const colSliceLen = 4

// colTargetGroups is the workgroups a reduction is cut into where its
// positions allow: about four per compute unit of the largest GPUs (an
// H200 has 132 streaming multiprocessors), enough loads in flight to near
// their memory bandwidth. More channel blocks need fewer slices to reach
// it, so it also bounds the partial sums, to about colTargetGroups·lanes
// values (colsum_merge reduces them as a matrix, in parallel).
const colTargetGroups = 512

// colSplit is how a column reduction of c channels is cut: lanes adjacent
// channels per workgroup (a power of two) and slices of the positions.
// It is chosen from the plan's shape alone, once per compile, so the sum
// order and the results are the same on every run.
type colSplit struct{ lanes, slices int }

// colSplitFor is the split of c channels of m positions (at full batch)
// for workgroups of wg invocations (a power of two): one slice (the sums
// written directly, one dispatch) where each invocation adds at most
// colOnePass positions; otherwise as many slices as leave each invocation
// at least colSliceLen positions of its slice, up to colTargetGroups
// workgroups in all (so one slice again where the channel blocks alone
// fill the device).
func colSplitFor(m, c, wg int) colSplit {
	lanes := 1
	for lanes < min(c, colMaxLanes, wg) {
		lanes *= 2
	}
	plane := wg / lanes
	if m <= colOnePass*plane {
		return colSplit{lanes: lanes, slices: 1}
	}
	slices := min(ceilDiv(colTargetGroups, ceilDiv(c, lanes)), m/(colSliceLen*plane))
	return colSplit{lanes: lanes, slices: max(1, slices)}
}

// push appends the split's push constants, lanes then slices.
func (s colSplit) push(p vk.Push) vk.Push { return p.Uint32(u32(s.lanes)).Uint32(u32(s.slices)) }

// colReduce prepares a column reduction of c channels into outs (one or
// two buffers of c values): the first pass, shader over wg-invocation
// workgroups with push (the split's constants appended) and the buffers
// bind returns given the ones it is to write, and then, with several
// slices, colsum_merge from private partial sums into outs (one workgroup
// per block of channels). The launches are ordered.
func (p *program) colReduce(shader string, wg int, push vk.Push, c int, s colSplit, outs []*vk.Buffer,
	bind func(dst []*vk.Buffer) []*vk.Buffer) ([]launch, error) {
	dst := outs
	if s.slices > 1 {
		dst = make([]*vk.Buffer, len(outs))
		for i := range outs {
			var err error
			if dst[i], err = p.private(s.slices * c); err != nil {
				return nil, err
			}
		}
	}
	groups := p.groups(ceilDiv(c, s.lanes)*s.slices, 1)
	first, err := p.launch(shader, wg, s.push(push), groups, bind(dst)...)
	if err != nil || s.slices == 1 {
		return []launch{first}, err
	}
	// With one output the second pair of bindings repeats the first: the
	// shader never writes it (parts = 1).
	bufs := []*vk.Buffer{dst[0], outs[0], dst[0], outs[0]}
	if len(outs) == 2 {
		bufs[2], bufs[3] = dst[1], outs[1]
	}
	mpush := vk.Push{}.Uint32(u32(c)).Uint32(u32(s.lanes)).Uint32(u32(s.slices)).Uint32(u32(len(outs)))
	merge, err := p.launch("colsum_merge", wg, mpush, p.groups(ceilDiv(c, s.lanes), 1), bufs...)
	return []launch{first, merge}, err
}

package gpu

import (
	"fmt"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
	"github.com/anvil-ml/anvil/tensor"
)

// What the kernels of kernel_*.go (all but the GEMM family) share: one or
// a few dispatches of one-dimensional grids.

// elemWG is the workgroup size of the elementwise kernels.
const elemWG = 64

// maxReduceWG is the workgroup size of the reduction kernels (one
// workgroup per channel, or one for a whole sum), where the device allows
// it; it must be a power of two (shaders/reduce.glsl).
const maxReduceWG = 256

// reduceWG is the largest power of two up to maxReduceWG that the device
// runs in one workgroup (Vulkan guarantees 128).
func (p *program) reduceWG() int {
	wg := maxReduceWG
	for wg > 1 && (wg > p.dev.Info().MaxWorkgroupInvocations || wg*4 > p.dev.Info().MaxSharedMemory) {
		wg /= 2
	}
	return wg
}

// groups is how many workgroups of wg invocations a grid-stride kernel
// over n items dispatches: enough to cover n, within the device's limit.
func (p *program) groups(n, wg int) int {
	return max(1, min(vk.Groups(n, wg), int(p.dev.Limits().MaxGroupCount[0])))
}

// launch is one recorded dispatch of an op kernel.
type launch struct {
	set    *vk.DescriptorSet
	push   []byte
	groups int
}

// launches is an opKernel made of dispatches recorded in order. When
// ordered, each dispatch reads what the one before wrote (or writes what it
// wrote), so a barrier separates them.
type launches struct {
	list    []launch
	ordered bool
}

func (k *launches) record(c *vk.Commands) error {
	for i, l := range k.list {
		if i > 0 && k.ordered {
			c.Barrier(vk.Compute, vk.Compute)
		}
		c.Dispatch(l.set, l.push, l.groups, 1, 1)
	}
	return nil
}

// launch prepares a dispatch of shader over groups workgroups of wg
// invocations, with the step arguments at binding 0 and bufs after them.
func (p *program) launch(shader string, wg int, push vk.Push, groups int, bufs ...*vk.Buffer) (launch, error) {
	pl, err := p.pipeline(shader, len(bufs), len(push), uint32(wg))
	if err != nil {
		return launch{}, err
	}
	set, err := pl.Bind(append([]*vk.Buffer{p.args}, bufs...)...)
	if err != nil {
		return launch{}, err
	}
	return launch{set: set, push: push, groups: groups}, nil
}

// single is a kernel of one dispatch.
func (p *program) single(shader string, wg int, push vk.Push, groups int, bufs ...*vk.Buffer) (opKernel, error) {
	l, err := p.launch(shader, wg, push, groups, bufs...)
	if err != nil {
		return nil, err
	}
	return &launches{list: []launch{l}}, nil
}

// operands resolves an op's buffer IDs, remembering the first problem so
// that a kernel can gather all of them and check once.
type operands struct {
	p   *program
	err error
}

// in is a required operand.
func (o *operands) in(id tensor.BufferID, role string) *vk.Buffer {
	if id == tensor.NoBuffer {
		o.fail(fmt.Errorf("operand %s is required but is NoBuffer", role))
		return o.p.dummy
	}
	return o.p.buffer(id)
}

// opt is an optional operand the shader only reads: the shared dummy
// stands in for NoBuffer.
func (o *operands) opt(id tensor.BufferID) *vk.Buffer { return o.p.buffer(id) }

// optOut is an optional operand the shader may write: NoBuffer gets a
// dummy of its own, because a dummy shared by ops that write it would be a
// hazard between them that the barrier plan cannot see.
func (o *operands) optOut(id tensor.BufferID) *vk.Buffer {
	if id != tensor.NoBuffer {
		return o.p.buffer(id)
	}
	b, err := o.p.private(1)
	if err != nil {
		o.fail(err)
		return o.p.dummy
	}
	return b
}

func (o *operands) fail(err error) {
	if o.err == nil {
		o.err = err
	}
}

// positive checks that every size is positive.
func positive(names string, vals ...int) error {
	for _, v := range vals {
		if v <= 0 {
			return fmt.Errorf("sizes %s must be positive, got %v", names, vals)
		}
	}
	return nil
}

// u32 converts a size that Validate and the storage-range check have
// bounded to a push-constant value.
func u32(v int) uint32 { return uint32(v) }

// b2u is a flag as a push-constant value.
func b2u(v bool) uint32 {
	if v {
		return 1
	}
	return 0
}

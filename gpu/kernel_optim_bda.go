package gpu

import (
	"encoding/binary"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
)

// Where the device offers bufferDeviceAddress (Vulkan 1.2 core; lavapipe,
// NVIDIA, AMD and Intel do), an updateGroup is one dispatch of a *_bda
// shader (shaders/bda.glsl) however many tensors it has: the shader
// reaches each tensor's buffers through their device addresses, read from
// a small table buffer, rather than through bindings, so the per-stage
// binding limit that splits the *_multi dispatches (multiTensors) does not
// apply. Each element is updated by the same float32 operations
// (shaders/optim.glsl, nadam.glsl) as in the one-tensor and *_multi shaders, so the
// path changes no result bit. The table is written once here: a plan's
// buffers are fixed for the program's life.

// noBufferAddress makes update groups take the *_multi path even on a
// device with buffer addresses, so that tests can compare the two bit for
// bit. (ANVIL_VK_BUFFER_ADDRESS=0 turns the feature off for a whole
// device instead.)
var noBufferAddress = false

// addressGroups reports whether update groups run as one *_bda dispatch.
func (p *program) addressGroups() bool {
	return !noBufferAddress && p.dev.Info().BufferAddress
}

// addressLaunch is the one dispatch of the *_bda shader over all of us:
// binding 1 is its table (bda.glsl), the push constants the total element
// count, the tensor count and the (shared) hyperparameters.
func (p *program) addressLaunch(us []update) (launch, error) {
	tab, total := addressTable(us)
	table, err := p.private(len(tab))
	if err != nil {
		return launch{}, err
	}
	words := make([]byte, 0, 4*len(tab))
	for _, w := range tab {
		words = binary.LittleEndian.AppendUint32(words, w)
	}
	if err := table.Write(0, words); err != nil {
		return launch{}, err
	}
	push := append(vk.Push{}.Uint32(u32(total)).Uint32(u32(len(us))), us[0].hyper...)
	return p.launch(us[0].shader+"_bda", elemWG, push, p.groups(total, elemWG), table)
}

// addressTable lays out the table of bda.glsl for us: the prefix offsets
// of the tensors in the concatenation, ending with the total, then each
// tensor's buffer addresses as (low, high) words.
func addressTable(us []update) (tab []uint32, total int) {
	n, per := len(us), len(us[0].bufs)
	tab = make([]uint32, n+1+2*n*per)
	for k, u := range us {
		tab[k] = u32(total)
		total += u.size
		for s, b := range u.bufs {
			a := b.Address()
			at := n + 1 + 2*(k*per+s)
			tab[at], tab[at+1] = uint32(a), uint32(a>>32)
		}
	}
	tab[n] = u32(total)
	return tab, total
}

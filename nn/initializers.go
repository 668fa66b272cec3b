package nn

import (
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"sync/atomic"

	"github.com/anvil-ml/anvil/tensor"
)

// Initializer fills a new weight tensor. fanIn and fanOut follow Keras
// (kerasFans): for a Dense kernel the input and output widths, for a
// Conv2D kernel those times the window area, for a bias its length.
type Initializer interface {
	Init(n, fanIn, fanOut int, rng *tensor.Stream) []float32
}

// InitializerFunc adapts a function to Initializer.
type InitializerFunc func(n, fanIn, fanOut int, rng *tensor.Stream) []float32

// Init implements Initializer.
func (f InitializerFunc) Init(n, fanIn, fanOut int, rng *tensor.Stream) []float32 {
	return f(n, fanIn, fanOut, rng)
}

// kerasFans is Keras's compute_fans: a vector's fans are its length, a
// matrix's its two dimensions, and a convolution kernel's (..., in, out)
// the last two times the product of the window dimensions before them.
func kerasFans(shape tensor.Shape) (fanIn, fanOut int) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return shape[0], shape[0]
	}
	window := 1
	for _, d := range shape[:len(shape)-2] {
		window *= d
	}
	return shape[len(shape)-2] * window, shape[len(shape)-1] * window
}

var globalSeed atomic.Uint64

func init() { globalSeed.Store(1) }

// SetRandomSeed sets the seed that weight initialisation uses, as
// keras.utils.set_random_seed does. Each variable draws from its own stream
// keyed by this seed and the variable's name, so the same seed and names
// give the same weights. The default seed is 1.
func SetRandomSeed(seed uint64) { globalSeed.Store(seed) }

// newInitStream returns the generator for the variable called name.
func newInitStream(name string) *tensor.Stream {
	h := fnv.New32a()
	h.Write([]byte(name))
	return tensor.NewStream(globalSeed.Load(), h.Sum32())
}

var initializers = map[string]Initializer{
	"zeros":          constant(0),
	"ones":           constant(1),
	"glorot_uniform": InitializerFunc(glorotUniform),
	"glorot_normal":  InitializerFunc(glorotNormal),
	"he_uniform":     InitializerFunc(heUniform),
	"he_normal":      InitializerFunc(heNormal),
	"random_normal":  InitializerFunc(randomNormal),
	"random_uniform": InitializerFunc(randomUniform),
}

// initializerByName looks up a Keras initializer name.
func initializerByName(name string) (Initializer, error) {
	if in, ok := initializers[name]; ok {
		return in, nil
	}
	known := make([]string, 0, len(initializers))
	for k := range initializers {
		known = append(known, k)
	}
	sort.Strings(known)
	return nil, fmt.Errorf("unknown initializer %q (known: %v)", name, known)
}

func constant(c float32) Initializer {
	return InitializerFunc(func(n, _, _ int, _ *tensor.Stream) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = c
		}
		return out
	})
}

func uniform(n int, limit float64, rng *tensor.Stream) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32((2*rng.Float64() - 1) * limit)
	}
	return out
}

// truncatedNormal draws from a normal with the given stddev, redrawing
// values beyond two standard deviations, as Keras's variance-scaling
// initializers do.
func truncatedNormal(n int, stddev float64, rng *tensor.Stream) []float32 {
	out := make([]float32, n)
	for i := range out {
		z := normal(rng)
		for math.Abs(z) > 2 {
			z = normal(rng)
		}
		out[i] = float32(z * stddev)
	}
	return out
}

// normal draws a standard normal value (Box–Muller).
func normal(rng *tensor.Stream) float64 {
	u1 := 1 - rng.Float64() // in (0, 1]
	u2 := rng.Float64()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// truncatedStd corrects the stddev for the truncation at ±2σ, the constant
// Keras uses (the stddev of a unit normal truncated to [-2, 2]).
const truncatedStd = 0.87962566103423978

func glorotUniform(n, fanIn, fanOut int, rng *tensor.Stream) []float32 {
	return uniform(n, math.Sqrt(6/float64(fanIn+fanOut)), rng)
}

func glorotNormal(n, fanIn, fanOut int, rng *tensor.Stream) []float32 {
	return truncatedNormal(n, math.Sqrt(2/float64(fanIn+fanOut))/truncatedStd, rng)
}

func heUniform(n, fanIn, _ int, rng *tensor.Stream) []float32 {
	return uniform(n, math.Sqrt(6/float64(fanIn)), rng)
}

func heNormal(n, fanIn, _ int, rng *tensor.Stream) []float32 {
	return truncatedNormal(n, math.Sqrt(2/float64(fanIn))/truncatedStd, rng)
}

// randomNormal is Keras's RandomNormal default: mean 0, stddev 0.05.
func randomNormal(n, _, _ int, rng *tensor.Stream) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(0.05 * normal(rng))
	}
	return out
}

// randomUniform is Keras's RandomUniform default: [-0.05, 0.05].
func randomUniform(n, _, _ int, rng *tensor.Stream) []float32 {
	return uniform(n, 0.05, rng)
}

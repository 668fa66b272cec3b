package cpuref

import (
	"math"

	"github.com/anvil-ml/anvil/tensor"
)

// The smooth activations (gelu, silu, elu, selu, softplus) are computed in
// float64 and rounded once, like tanh; their derivatives are taken from X.

// smoothActs maps each smooth function to its value and its derivative.
var smoothActs = map[tensor.ActFn]struct{ f, df func(float64) float64 }{
	tensor.GELU:     {gelu, geluGrad},
	tensor.SiLU:     {silu, siluGrad},
	tensor.ELU:      {elu, eluGrad},
	tensor.SELU:     {selu, seluGrad},
	tensor.Softplus: {softplus, sigmoid64},
}

// smoothForward writes f(x) to y (which may alias x).
func smoothForward(fn tensor.ActFn, x, y []float32) {
	f := smoothActs[fn].f
	for j, v := range x {
		y[j] = float32(f(float64(v)))
	}
}

// smoothBackward writes dy·f'(x) to dx (which may alias dy).
func smoothBackward(fn tensor.ActFn, x, dy, dx []float32) {
	df := smoothActs[fn].df
	for j, v := range x {
		dx[j] = float32(float64(dy[j]) * df(float64(v)))
	}
}

// gelu is Keras's exact gelu: x·Φ(x).
func gelu(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

// geluGrad is Φ(x) + x·φ(x).
func geluGrad(x float64) float64 {
	return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)
}

// sigmoid64 is 1/(1+e^−x), written so that e^x never overflows.
func sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func silu(x float64) float64 { return x * sigmoid64(x) }

func siluGrad(x float64) float64 {
	s := sigmoid64(x)
	return s * (1 + x*(1-s))
}

func elu(x float64) float64 {
	if x > 0 {
		return x
	}
	return math.Expm1(x)
}

func eluGrad(x float64) float64 {
	if x > 0 {
		return 1
	}
	return math.Exp(x)
}

func selu(x float64) float64 {
	if x > 0 {
		return tensor.SELUScale * x
	}
	return tensor.SELUScale * tensor.SELUAlpha * math.Expm1(x)
}

func seluGrad(x float64) float64 {
	if x > 0 {
		return tensor.SELUScale
	}
	return tensor.SELUScale * tensor.SELUAlpha * math.Exp(x)
}

// softplus is log(1 + e^x) = max(x, 0) + log1p(e^−|x|), which neither
// overflows nor loses small values.
func softplus(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }

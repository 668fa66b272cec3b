package cpuref_test

import (
	"fmt"
	"log"

	"github.com/anvil-ml/anvil/cpuref"
	"github.com/anvil-ml/anvil/tensor"
)

// Example fits y = 2x − 1 with one neuron, as the first reference program
// does: a plan for the forward pass, the mean squared error, its backward
// pass and plain SGD, compiled once and run for 500 steps.
func Example() {
	p := tensor.NewPlan(6)
	x := p.AddBuffer("x", tensor.InputBuffer, true, tensor.Shape{1})
	y := p.AddBuffer("y", tensor.InputBuffer, true, tensor.Shape{1})
	w := p.AddBuffer("w", tensor.ParamBuffer, false, tensor.Shape{1, 1})
	b := p.AddBuffer("b", tensor.ParamBuffer, false, tensor.Shape{1})
	pred := p.AddBuffer("pred", tensor.ActivationBuffer, true, tensor.Shape{1})
	dpred := p.AddBuffer("dpred", tensor.GradientBuffer, true, tensor.Shape{1})
	dw := p.AddBuffer("dw", tensor.GradientBuffer, false, tensor.Shape{1, 1})
	db := p.AddBuffer("db", tensor.GradientBuffer, false, tensor.Shape{1})
	loss := p.AddBuffer("loss", tensor.AccumulatorBuffer, false, tensor.Shape{1})
	for _, op := range []tensor.Op{
		tensor.MatMul{A: x, B: w, C: pred, M: 1, N: 1, K: 1, Batch: tensor.BatchM},
		tensor.BiasAdd{X: pred, Bias: b, Y: pred, Outer: 1, C: 1},
		tensor.Loss{Kind: tensor.MeanSquaredError, Pred: pred, Target: y, Probs: tensor.NoBuffer,
			Grad: dpred, LossSum: loss, Size: 1, Width: 1},
		tensor.MatMul{A: x, B: dpred, C: dw, M: 1, N: 1, K: 1, TransA: true, Batch: tensor.BatchK},
		tensor.BiasGrad{DY: dpred, DBias: db, Outer: 1, C: 1},
		tensor.SGDUpdate{Param: w, Grad: dw, Velocity: tensor.NoBuffer, Size: 1},
		tensor.SGDUpdate{Param: b, Grad: db, Velocity: tensor.NoBuffer, Size: 1},
	} {
		p.Emit(tensor.Train, op)
	}

	prog, err := cpuref.New().Compile(p)
	if err != nil {
		log.Fatal(err)
	}
	defer prog.Close()
	must := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	must(prog.Write(x, []float32{-1, 0, 1, 2, 3, 4}))
	must(prog.Write(y, []float32{-3, -1, 1, 3, 5, 7}))
	for step := 1; step <= 500; step++ {
		must(prog.Write(loss, []float32{0}))
		must(prog.Run(tensor.Train, tensor.StepArgs{Rows: 6, Step: uint64(step), LearningRate: 0.01}))
	}
	out := make([]float32, 1)
	must(prog.Read(loss, out))
	wb := make([]float32, 2)
	must(prog.Read(w, wb[:1]))
	must(prog.Read(b, wb[1:]))
	fmt.Printf("w = %.2f, b = %.2f, last loss %.0e\n", wb[0], wb[1], out[0]/6)
	// Output: w = 2.00, b = -0.99, last loss 4e-05
}

package tensor

import "fmt"

// Synchronized batch normalization needs the host in the middle of a
// training step: the batch statistics, and two per-channel sums of the
// backward pass, are summed over every replica, and a recorded routine
// cannot call MPI. A plan for it therefore cuts TrainGrad into segments,
// each its own routine, with an Exchange after each but the last: segment
// 0 is TrainGrad itself, segment i > 0 is Routine(NumRoutines+i−1), and
// Exchanges[i] runs between segments i and i+1. Each segment is still
// compiled once and replayed, and a plan without Exchanges has no further
// segments: nothing changes for it.

// ExchangeKind says what the host combines over the replicas at an
// Exchange.
type ExchangeKind int

// The exchanges.
const (
	// ExchangeBNMoments combines the replicas' BatchNormMoments. In[0]
	// holds this replica's (mean, M2) per channel, interleaved (2·C
	// values) over rows·Outer elements. The host combines every
	// replica's in float64 (Chan et al.: mean = Σ n_r·mean_r / n,
	// M2 = Σ M2_r + n_r·(mean_r − mean)²) and writes Out[0] the global
	// mean, Out[1] invstd = 1/sqrt(M2/n + Epsilon) and Out[2] the
	// variance the moving average takes: M2/(n−1) when UnbiasedMovingVar
	// and n > 1, else M2/n.
	ExchangeBNMoments ExchangeKind = iota
	// ExchangeBNGradSums sums BatchNormBackSums over the replicas. In[0]
	// and In[1] hold this replica's Σ DY and Σ DY·x̂ (C each) over its
	// n_r rows, each DY the gradient of the replica's own mean loss (so
	// scaled by 1/n_r). The host writes Out[0] and Out[1] the sums
	// Σ_r n_r·In_r / N over the replicas, N the global rows: the sums one
	// process would find over the global batch. BatchNormBackApply divides
	// them by its own rows·Outer, which gives the global means scaled as
	// the replica's DY is.
	ExchangeBNGradSums
)

// Exchange is one step of the host between two segments of TrainGrad.
type Exchange struct {
	Kind ExchangeKind
	// In are the buffers the host reads, Out those it writes (see
	// ExchangeKind); all are per-channel, not batched.
	In, Out  []BufferID
	Outer, C int
	// Epsilon and UnbiasedMovingVar are ExchangeBNMoments's, as
	// BatchNormTrain's.
	Epsilon           float32
	UnbiasedMovingVar bool
}

// exchangeArity is, per kind, how many In and Out buffers it has and how
// many values per channel each In holds.
var exchangeArity = [...]struct{ in, out, inWidth int }{
	ExchangeBNMoments:  {1, 3, 2},
	ExchangeBNGradSums: {2, 2, 1},
}

// AddSegment starts a new segment of TrainGrad after exchange x and
// returns its routine: the ops of TrainGrad emitted from now on go to it.
func (p *Plan) AddSegment(x Exchange) Routine {
	p.Exchanges = append(p.Exchanges, x)
	p.Routines = append(p.Routines, nil)
	return Routine(len(p.Routines) - 1)
}

// Segments lists TrainGrad's segments in order: TrainGrad alone when the
// plan has no Exchanges.
func (p *Plan) Segments() []Routine {
	s := []Routine{TrainGrad}
	for i := range p.Exchanges {
		s = append(s, Routine(NumRoutines+i))
	}
	return s
}

// checkSegments checks that there is one segment per exchange beyond
// TrainGrad, none empty, and each exchange's buffers.
func (p *Plan) checkSegments() error {
	if len(p.Routines) < NumRoutines {
		return fmt.Errorf("plan: %d routines, fewer than the %d every plan has (make plans with NewPlan)", len(p.Routines), NumRoutines)
	}
	if n := len(p.Routines) - NumRoutines; n != len(p.Exchanges) {
		return fmt.Errorf("plan: %d further TrainGrad segments but %d exchanges: they must match", n, len(p.Exchanges))
	}
	for i, x := range p.Exchanges {
		if len(p.Routines[TrainGrad]) == 0 || len(p.Routines[NumRoutines+i]) == 0 {
			return fmt.Errorf("plan: exchange %d: the segments around it must not be empty", i)
		}
		if err := p.checkExchange(x); err != nil {
			return fmt.Errorf("plan: exchange %d: %w", i, err)
		}
	}
	return nil
}

func (p *Plan) checkExchange(x Exchange) error {
	if x.Kind < 0 || int(x.Kind) >= len(exchangeArity) {
		return fmt.Errorf("unknown kind %d", x.Kind)
	}
	a := exchangeArity[x.Kind]
	if len(x.In) != a.in || len(x.Out) != a.out {
		return fmt.Errorf("kind %d takes %d In and %d Out buffers, not %d and %d", x.Kind, a.in, a.out, len(x.In), len(x.Out))
	}
	if err := positive("Outer, C", x.Outer, x.C); err != nil {
		return err
	}
	return firstErr(p.checkPerChannel(x.In, a.inWidth*x.C), p.checkPerChannel(x.Out, x.C))
}

// checkPerChannel checks that every buffer of ids exists, is not batched
// and holds n values.
func (p *Plan) checkPerChannel(ids []BufferID, n int) error {
	for _, id := range ids {
		if id == NoBuffer {
			return fmt.Errorf("an In or Out buffer is NoBuffer")
		}
		if err := p.checkAccess(rd(id, n, false)); err != nil {
			return err
		}
	}
	return nil
}

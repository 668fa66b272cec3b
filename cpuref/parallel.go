package cpuref

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Work is split into chunks whose size is a constant, never a function of
// the core count: a reduction then always produces the same partial sums,
// combined in chunk order, so results are bit-identical however the chunks
// are scheduled and on however many cores.
const (
	// elemChunk is the number of elements of elementwise or reduction work
	// in one chunk: large enough to amortise a hand-off to another core
	// (~1 µs), small enough to share a 32-sample activation across cores.
	elemChunk = 1 << 14
	// rngChunk is smaller because each dropout element runs a Philox block.
	rngChunk = 1 << 12
)

// numChunks is how many chunks of size cover total elements.
func numChunks(total, size int) int {
	if total <= 0 {
		return 0
	}
	return (total + size - 1) / size
}

// chunkBounds returns the half-open range of chunk i.
func chunkBounds(i, total, size int) (lo, hi int) {
	lo = i * size
	return lo, min(lo+size, total)
}

// posChunk is how many positions of c channels make one chunk of about
// elemChunk elements.
func posChunk(c int) int { return max(1, elemChunk/max(c, 1)) }

// pool is a fixed set of worker goroutines that share out the chunks of one
// job at a time. Starting goroutines per op would allocate on every step;
// these are started once and parked on a channel between jobs.
type pool struct {
	mu   sync.Mutex // held for the duration of one job
	wake []chan struct{}
	done sync.WaitGroup
	fn   func(int)
	fnW  func(w, i int) // set instead of fn by parallelForW
	n    int64
	next atomic.Int64
}

var (
	sharedPool *pool
	poolOnce   sync.Once
)

// workers returns the process-wide pool, starting it on first use with one
// goroutine per extra core (the caller is the first worker).
func workers() *pool {
	poolOnce.Do(func() {
		p := &pool{}
		for i := 1; i < runtime.GOMAXPROCS(0); i++ {
			ch := make(chan struct{})
			p.wake = append(p.wake, ch)
			go p.loop(ch, i)
		}
		sharedPool = p
	})
	return sharedPool
}

// size is the number of goroutines that may run chunks at once: the
// caller of parallelFor and the helpers. Worker indexes are below it.
func (p *pool) size() int { return len(p.wake) + 1 }

func (p *pool) loop(wake chan struct{}, w int) {
	for range wake {
		p.drain(w)
		p.done.Done()
	}
}

// drain claims chunks until none are left; w is the worker's index.
func (p *pool) drain(w int) {
	for {
		i := p.next.Add(1) - 1
		if i >= p.n {
			return
		}
		if p.fnW != nil {
			p.fnW(w, int(i))
		} else {
			p.fn(int(i))
		}
	}
}

// parallelFor calls fn(i) for every i in [0, n), spread over the pool. fn
// must write only to memory that no other i writes. When the pool is busy
// (another program runs on another goroutine, or a job nests) the caller
// runs every chunk itself: same chunks, same results, no deadlock.
func parallelFor(n int, fn func(int)) {
	p := workers()
	if n <= 1 || len(p.wake) == 0 || !p.mu.TryLock() {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	p.fn = fn
	p.dispatch(n)
}

// parallelForW is parallelFor for chunks that need per-worker scratch: fn
// also gets the index, below workers().size(), of the goroutine running
// it, and no two chunks run at once with the same index. A caller that
// runs every chunk itself is worker 0, so a program's scratch must not be
// shared with another program that may run concurrently.
func parallelForW(n int, fn func(w, i int)) {
	p := workers()
	if n <= 1 || len(p.wake) == 0 || !p.mu.TryLock() {
		for i := 0; i < n; i++ {
			fn(0, i)
		}
		return
	}
	p.fnW = fn
	p.dispatch(n)
}

// dispatch runs the job set in p.fn or p.fnW over n chunks; p.mu is held.
func (p *pool) dispatch(n int) {
	defer p.mu.Unlock()
	p.n = int64(n)
	p.next.Store(0)
	helpers := min(len(p.wake), n-1)
	p.done.Add(helpers)
	for _, ch := range p.wake[:helpers] {
		ch <- struct{}{}
	}
	p.drain(0)
	p.done.Wait()
	p.fn, p.fnW = nil, nil
}

// accumulate adds the per-chunk partial sums, in chunk order, to the
// running total in acc[0]: the order never depends on scheduling, so the
// accumulated loss and metrics are bit-identical from run to run.
func accumulate(acc []float32, partial []float64) {
	total := 0.0
	for _, v := range partial {
		total += v
	}
	acc[0] = float32(float64(acc[0]) + total)
}

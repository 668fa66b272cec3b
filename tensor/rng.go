package tensor

// Anvil's randomness is counter-based: a value is a pure function of a key
// and a position, so every backend (and a resumed run) draws the same
// numbers without carrying generator state. The generator is Philox4x32-10
// (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011),
// which needs only 32-bit integer multiplies and so ports to GLSL unchanged.

const (
	philoxM0 = 0xD2511F53
	philoxM1 = 0xCD9E8D57
	philoxW0 = 0x9E3779B9
	philoxW1 = 0xBB67AE85
)

// Philox4x32 runs ten rounds of Philox4x32 on counter ctr with key.
func Philox4x32(ctr [4]uint32, key [2]uint32) [4]uint32 {
	for i := 0; i < 10; i++ {
		p0 := uint64(philoxM0) * uint64(ctr[0])
		p1 := uint64(philoxM1) * uint64(ctr[2])
		hi0, lo0 := uint32(p0>>32), uint32(p0)
		hi1, lo1 := uint32(p1>>32), uint32(p1)
		ctr = [4]uint32{hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0}
		key[0] += philoxW0
		key[1] += philoxW1
	}
	return ctr
}

// Uniform returns a float32 in [0, 1) determined by (seed, step, salt,
// index). It uses the top 24 bits of the first Philox word, so the value is
// exact in float32 on every backend.
func Uniform(seed, step uint64, salt, index uint32) float32 {
	out := Philox4x32([4]uint32{index, salt, uint32(step), uint32(step >> 32)},
		[2]uint32{uint32(seed), uint32(seed >> 32)})
	return float32(out[0]>>8) * (1.0 / (1 << 24))
}

// Stream is a sequential generator over the same Philox function, for host
// work such as weight initialisation and shuffling. Its whole state is
// (Seed, Salt, Counter), so it can be saved and resumed exactly.
type Stream struct {
	Seed    uint64
	Salt    uint32
	Counter uint64
	buf     [4]uint32
	left    int
}

// NewStream starts a stream for seed and salt at counter 0.
func NewStream(seed uint64, salt uint32) *Stream { return &Stream{Seed: seed, Salt: salt} }

// Uint32 returns the next 32 random bits.
func (s *Stream) Uint32() uint32 {
	if s.left == 0 {
		s.buf = Philox4x32([4]uint32{uint32(s.Counter), uint32(s.Counter >> 32), s.Salt, 0x616e7669},
			[2]uint32{uint32(s.Seed), uint32(s.Seed >> 32)})
		s.Counter++
		s.left = 4
	}
	s.left--
	return s.buf[3-s.left]
}

// Float64 returns a uniform value in [0, 1) with 53 random bits.
func (s *Stream) Float64() float64 {
	hi := uint64(s.Uint32()) >> 5
	lo := uint64(s.Uint32()) >> 6
	return float64(hi<<26|lo) / (1 << 53)
}

// Intn returns a uniform integer in [0, n), n > 0, without modulo bias.
func (s *Stream) Intn(n int) int {
	limit := ^uint64(0) - ^uint64(0)%uint64(n)
	for {
		v := uint64(s.Uint32())<<32 | uint64(s.Uint32())
		if v < limit {
			return int(v % uint64(n))
		}
	}
}

// Perm returns a random permutation of 0..n-1 (Fisher–Yates).
func (s *Stream) Perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := s.Intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

package selftest

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// TestEveryOpHasAFamily fails when tensor declares an op type that no
// family's cases emit, so a new op cannot go untested by the self-test.
func TestEveryOpHasAFamily(t *testing.T) {
	emitted := map[reflect.Type]bool{}
	for i, f := range families() {
		if f.model != nil {
			continue
		}
		for _, c := range f.build(rand.New(rand.NewPCG(uint64(i), 1))) {
			if err := c.plan.Validate(); err != nil {
				t.Errorf("%s: %s: %v", f.name, c.name, err)
			}
			for _, ops := range c.plan.Routines {
				for _, op := range ops {
					emitted[reflect.TypeOf(op)] = true
				}
			}
		}
	}
	for _, op := range tensor.AllOps() {
		if !emitted[reflect.TypeOf(op)] {
			t.Errorf("no self-test family emits %T", op)
		}
	}
}

// TestCasesValidForManySeeds builds every family's cases from many seeds:
// every random shape must make a valid plan.
func TestCasesValidForManySeeds(t *testing.T) {
	for seed := range uint64(50) {
		for _, f := range families() {
			if f.model != nil {
				continue
			}
			for _, c := range f.build(rand.New(rand.NewPCG(seed, 1))) {
				if err := c.plan.Validate(); err != nil {
					t.Fatalf("seed %d: %s: %s: %v", seed, f.name, c.name, err)
				}
				for _, rows := range c.rows {
					if rows < 1 || rows > c.plan.Batch {
						t.Fatalf("seed %d: %s: rows %d outside 1..%d", seed, f.name, rows, c.plan.Batch)
					}
				}
			}
		}
	}
}

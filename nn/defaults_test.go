package nn

import "testing"

// TestKerasDefaults checks the defaults against Keras's documentation,
// with the values written out here rather than read from the code:
// BatchNormalization momentum 0.99 and epsilon 1e-3; LeakyReLU's slope
// 0.3; SGD's rate 0.01; Adam β1 0.9, β2 0.999, ε 1e-7; RMSprop ρ 0.9,
// momentum 0, ε 1e-7.
func TestKerasDefaults(t *testing.T) {
	bn := BatchNormalization().(*batchNormLayer)
	if bn.err != nil || bn.cfg.momentum != 0.99 || bn.cfg.epsilon != 1e-3 {
		t.Errorf("BatchNormalization: momentum %v, epsilon %v (err %v); Keras: 0.99, 1e-3", bn.cfg.momentum, bn.cfg.epsilon, bn.err)
	}
	if lr := LeakyReLU().(*activationLayer); lr.err != nil || lr.alpha != 0.3 {
		t.Errorf("LeakyReLU: slope %v (err %v); Keras: 0.3", lr.alpha, lr.err)
	}
	if s := SGD(); s.LR != 0.01 || s.Momentum != 0 || s.Nesterov {
		t.Errorf("SGD: %+v; Keras: rate 0.01, no momentum", *s)
	}
	if a := Adam(0.001); a.LR != 0.001 || a.Beta1 != 0.9 || a.Beta2 != 0.999 || a.Epsilon != 1e-7 {
		t.Errorf("Adam: %+v; Keras: β1 0.9, β2 0.999, ε 1e-7", *a)
	}
	if r := RMSprop(0.001); r.LR != 0.001 || r.Rho != 0.9 || r.Momentum != 0 || r.Epsilon != 1e-7 {
		t.Errorf("RMSprop: %+v; Keras: ρ 0.9, momentum 0, ε 1e-7", *r)
	}
}

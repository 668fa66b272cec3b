package tensor

// NadamUpdate applies Keras 3's Nadam (Adam with Nesterov momentum and
// Dozat's momentum schedule). With u_s = Beta1·(1 − 0.5·0.96^s) and
// Π_t = u_1·…·u_t, step t does
//
//	M += (Grad−M)(1−Beta1); V += (Grad²−V)(1−Beta2)
//	m̂ = u_{t+1}·M/(1−Π_t·u_{t+1}) + (1−u_t)·Grad/(1−Π_t)
//	v̂ = V/(1−Beta2^t)
//	Param −= lr·m̂/(sqrt(v̂)+Epsilon)
//
// Π_t is state, as Keras's _u_product is: Product holds two values, and
// step t reads Π_{t−1} from Product[(t−1) mod 2] (1 at t = 1, whatever the
// buffer holds) and writes Π_t to Product[t mod 2], so that a step never
// reads a value it writes and a replayed or resumed run keeps the exact
// product.
type NadamUpdate struct {
	Param, Grad, M, V, Product BufferID
	Size                       int
	Beta1, Beta2, Epsilon      float32
}

// NadamProductSize is the element count of NadamUpdate.Product.
const NadamProductSize = 2

// Accesses implements Op.
func (o NadamUpdate) Accesses() []Access {
	return []Access{rd(o.Grad, o.Size, false), rd(o.Param, o.Size, false), wr(o.Param, o.Size, false),
		rd(o.M, o.Size, false), wr(o.M, o.Size, false), rd(o.V, o.Size, false), wr(o.V, o.Size, false),
		rd(o.Product, NadamProductSize, false), wr(o.Product, NadamProductSize, false)}
}

// Check implements Checker.
func (o NadamUpdate) Check(*Plan) error {
	return firstErr(positive("Size", o.Size),
		required(operand{"Param", o.Param}, operand{"Grad", o.Grad}, operand{"M", o.M}, operand{"V", o.V},
			operand{"Product", o.Product}))
}

package tensor

import "testing"

func TestBytes(t *testing.T) {
	for i, v := range ByteScale {
		if v != float32(i)/255 {
			t.Fatalf("ByteScale[%d] = %v, want %v", i, v, float32(i)/255)
		}
	}
	b := &Bytes{Shape: Shape{3, 2}, Data: []uint8{0, 1, 2, 254, 255, 9}}
	if b.Rows() != 3 || b.RowSize() != 2 {
		t.Fatalf("Rows %d RowSize %d", b.Rows(), b.RowSize())
	}
	f := b.Float()
	if !f.Shape.Equal(b.Shape) || f.Data[4] != 1 || f.Data[3] != float32(254)/255 {
		t.Errorf("Float = %v %v", f.Shape, f.Data)
	}
	h := b.Head(2)
	if h.Rows() != 2 || len(h.Data) != 4 || cap(h.Data) != 4 || b.Rows() != 3 {
		t.Errorf("Head(2) = %v with %d bytes (cap %d); original rows %d", h.Shape, len(h.Data), cap(h.Data), b.Rows())
	}
	if b.Head(10).Rows() != 3 {
		t.Error("Head past the end")
	}
	var none *Bytes
	if none.Rows() != 0 || none.RowSize() != 0 || none.Head(1) != nil {
		t.Error("a nil Bytes is not empty")
	}
}

package datasets

import (
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

func TestSetLenSubsetOneHot(t *testing.T) {
	x, _ := tensor.FromData([]float32{0, 1, 2, 3, 4, 5, 6, 7}, 4, 2)
	s := &Set{X: x, Labels: []int{2, 0, 1, 2}, ClassNames: []string{"a", "b", "c", "d"}, Source: "mem"}
	if s.Len() != 4 {
		t.Fatalf("Len = %d, want 4", s.Len())
	}
	sub := s.Subset(2)
	if sub.Len() != 2 || !sub.X.Shape.Equal(tensor.Shape{2, 2}) || len(sub.Labels) != 2 || sub.Source != "mem" {
		t.Fatalf("Subset(2): len %d shape %v labels %v", sub.Len(), sub.X.Shape, sub.Labels)
	}
	if sub.X.Data[3] != 3 || len(sub.X.Data) != 4 {
		t.Errorf("Subset(2) data %v, want [0 1 2 3]", sub.X.Data)
	}
	if s.X.Shape[0] != 4 {
		t.Errorf("Subset changed the original's shape to %v", s.X.Shape)
	}
	for _, n := range []int{-1, 4, 100} {
		if got := s.Subset(n).Len(); got != 4 {
			t.Errorf("Subset(%d).Len() = %d, want 4", n, got)
		}
	}
	if got := s.Subset(0).Len(); got != 0 {
		t.Errorf("Subset(0).Len() = %d, want 0", got)
	}

	oh := s.OneHot()
	if !oh.Shape.Equal(tensor.Shape{4, 4}) {
		t.Fatalf("OneHot shape %v, want (4, 4) from 4 class names", oh.Shape)
	}
	want := []float32{0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}
	for i := range want {
		if oh.Data[i] != want[i] {
			t.Fatalf("OneHot = %v, want %v", oh.Data, want)
		}
	}
	noNames := &Set{X: x, Labels: []int{0, 3, 1, 1}}
	if k := noNames.NumClasses(); k != 4 {
		t.Errorf("NumClasses without names = %d, want 4 (max label + 1)", k)
	}
	if s.ClassName(1) != "b" || noNames.ClassName(3) != "3" {
		t.Errorf("ClassName: %q, %q", s.ClassName(1), noNames.ClassName(3))
	}

	targets, _ := tensor.FromData([]float32{1, 2, 3, 4}, 4, 1)
	reg := &Set{X: x, Targets: targets}
	if reg.OneHot() != nil || reg.NumClasses() != 0 {
		t.Errorf("regression set: OneHot %v, NumClasses %d; want nil, 0", reg.OneHot(), reg.NumClasses())
	}
	if got := reg.Subset(3).Targets.Shape; !got.Equal(tensor.Shape{3, 1}) {
		t.Errorf("Subset(3) targets shape %v", got)
	}
}

func TestByteScaleMatchesKeras(t *testing.T) {
	// Keras: x.astype('float32') / 255, a float32 division.
	for i := 0; i < 256; i++ {
		if tensor.ByteScale[i] != float32(i)/float32(255) {
			t.Fatalf("tensor.ByteScale[%d] = %v", i, tensor.ByteScale[i])
		}
	}
	if tensor.ByteScale[0] != 0 || tensor.ByteScale[255] != 1 {
		t.Fatalf("ends %v, %v", tensor.ByteScale[0], tensor.ByteScale[255])
	}
}

// TestImageSet: an image set keeps bytes; Len, Subset, FeatureShape and
// Features work from them, and Features scales as float32(b)/255.
func TestImageSet(t *testing.T) {
	s := &Set{Images: &tensor.Bytes{Shape: tensor.Shape{3, 1, 2, 1}, Data: []uint8{0, 255, 51, 7, 128, 1}}, Labels: []int{0, 1, 0}}
	if s.Len() != 3 || !s.FeatureShape().Equal(tensor.Shape{3, 1, 2, 1}) {
		t.Fatalf("Len %d FeatureShape %v", s.Len(), s.FeatureShape())
	}
	x := s.Features()
	for i, b := range s.Images.Data {
		if x.Data[i] != float32(b)/255 {
			t.Errorf("feature %d = %v, want %v", i, x.Data[i], float32(b)/255)
		}
	}
	sub := s.Subset(2)
	if sub.Len() != 2 || len(sub.Images.Data) != 4 || sub.X != nil || !sub.FeatureShape().Equal(tensor.Shape{2, 1, 2, 1}) {
		t.Errorf("Subset(2): len %d, %d bytes, shape %v", sub.Len(), len(sub.Images.Data), sub.FeatureShape())
	}
}

func TestHoldOutOfAnImageSet(t *testing.T) {
	s := &Set{Images: &tensor.Bytes{Shape: tensor.Shape{5, 2}, Data: []uint8{0, 1, 10, 11, 20, 21, 30, 31, 40, 41}}, Labels: []int{0, 1, 2, 3, 4}}
	train, test, err := s.HoldOut(2, 9)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 3 || test.Len() != 2 || train.X != nil {
		t.Fatalf("train %d test %d", train.Len(), test.Len())
	}
	for _, part := range []*Set{train, test} {
		for i, l := range part.Labels {
			if part.Images.Data[2*i] != uint8(10*l) || part.Images.Data[2*i+1] != uint8(10*l+1) {
				t.Errorf("sample %d of label %d holds %v", i, l, part.Images.Data[2*i:2*i+2])
			}
		}
	}
}

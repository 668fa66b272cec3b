package nn

import (
	"strings"
	"testing"
)

// TestConcatenateWritesKerasAxis: Concatenate joins the last axis, which
// Keras's config writes as axis -1 (axis 1 would be the rows of an
// image).
func TestConcatenateWritesKerasAxis(t *testing.T) {
	ClearSession()
	a, b := Input(4, 4, 2), Input(4, 4, 3)
	m, err := NewModel([]*Symbol{a, b}, Concatenate().Call(a, b))
	if err != nil {
		t.Fatal(err)
	}
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"axis": -1`) && !strings.Contains(string(js), `"axis":-1`) {
		t.Errorf("Concatenate's config lacks axis -1:\n%s", js)
	}
}

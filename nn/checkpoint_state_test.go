package nn

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSettingsReportTheFirstProblem: reading a checkpoint's saved settings
// reports a missing key, a number that is not one and a flag that is not a
// boolean, each naming the key; the first problem is the one reported, and
// keys nobody read are refused.
func TestSettingsReportTheFirstProblem(t *testing.T) {
	newSettings := func(vals map[string]any) *settings {
		return &settings{what: "optimizer", vals: vals, used: map[string]bool{}}
	}
	cases := []struct {
		name string
		read func(s *settings)
		vals map[string]any
		want string
	}{
		{"missing", func(s *settings) { s.get("lr"); s.get("beta") }, map[string]any{}, `missing "lr"`},
		{"not a number", func(s *settings) { s.f32("lr"); s.get("beta") }, map[string]any{"lr": "fast"}, `"lr"`},
		{"not a flag", func(s *settings) { s.flag("nesterov"); s.get("beta") }, map[string]any{"nesterov": 1.0}, `"nesterov" must be true or false`},
		{"unknown", func(s *settings) { s.f32("lr") }, map[string]any{"lr": json.Number("0.1"), "extra": 1.0}, `unknown setting "extra"`},
	}
	for _, c := range cases {
		s := newSettings(c.vals)
		c.read(s)
		err := s.done()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "optimizer: ") {
			t.Errorf("%s: %v, want an error naming %s", c.name, err, c.want)
		}
	}
	ok := newSettings(map[string]any{"lr": json.Number("0.5"), "nesterov": true})
	if lr, n := ok.f32("lr"), ok.flag("nesterov"); lr != 0.5 || !n || ok.done() != nil {
		t.Errorf("good settings: lr %v nesterov %v err %v", lr, n, ok.done())
	}
}

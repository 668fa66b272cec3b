package datasets

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/anvil-ml/anvil/tensor"
)

// csvFile writes content to a file in a temporary folder.
func csvFile(t *testing.T, content string) string {
	t.Helper()
	return writeFile(t, t.TempDir(), "data.csv", []byte(content))
}

func TestLoadCSVRegression(t *testing.T) {
	// The tutorial's first program: y = 2x - 1, with a constant column.
	path := csvFile(t, "x,k,y\n-1,5,-3\n0,5,-1\n1,5,1\n2,5,3\n3,5,5\n4,5,7\n")
	s, err := LoadCSV(path, CSVOptions{LabelColumn: "y"})
	if err != nil {
		t.Fatal(err)
	}
	if !s.X.Shape.Equal(tensor.Shape{6, 2}) || !s.Targets.Shape.Equal(tensor.Shape{6, 1}) {
		t.Fatalf("X %v targets %v", s.X.Shape, s.Targets.Shape)
	}
	if !slices.Equal(s.X.Data[:4], []float32{-1, 5, 0, 5}) || !slices.Equal(s.Targets.Data, []float32{-3, -1, 1, 3, 5, 7}) {
		t.Errorf("X %v targets %v", s.X.Data, s.Targets.Data)
	}
	if s.Labels != nil || s.Source != path || s.Standardizer != nil {
		t.Errorf("labels %v source %q standardizer %v", s.Labels, s.Source, s.Standardizer)
	}
	for _, opts := range []CSVOptions{{LabelIndex: 2}, {LabelIndex: -1}, {LabelColumn: " Y "}} {
		s2, err := LoadCSV(path, opts)
		if err != nil || !slices.Equal(s2.Targets.Data, s.Targets.Data) {
			t.Errorf("%+v: %v", opts, err)
		}
	}
}

func TestLoadCSVClassification(t *testing.T) {
	cases := []struct {
		name    string
		label   string
		labels  []int
		classes []string
	}{
		{"names in order of appearance", "setosa virginica setosa versicolor", []int{0, 1, 0, 2}, []string{"setosa", "virginica", "versicolor"}},
		{"integers", "3 0 1 3", []int{3, 0, 1, 3}, nil},
		{"integers written as floats", "1.0 0.0 2 1", []int{1, 0, 2, 1}, nil},
		{"a fraction makes them names", "1 0.5 1 2", []int{0, 1, 0, 2}, []string{"1", "0.5", "2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("\uFEFFa, b ,species\n")
			for i, l := range strings.Fields(c.label) {
				b.WriteString(strings.Repeat(string(rune('1'+i)), 1) + ", 0.5e1, " + l + "\r\n")
			}
			s, err := LoadCSV(csvFile(t, b.String()), CSVOptions{LabelColumn: "species", Classification: true})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Labels, c.labels) || !slices.Equal(s.ClassNames, c.classes) || s.Targets != nil {
				t.Errorf("labels %v names %q targets %v", s.Labels, s.ClassNames, s.Targets)
			}
			if !slices.Equal(s.X.Data[:2], []float32{1, 5}) {
				t.Errorf("first row %v", s.X.Data[:2])
			}
			if s.OneHot().Shape[1] != max(len(c.classes), slices.Max(c.labels)+1) {
				t.Errorf("one-hot shape %v", s.OneHot().Shape)
			}
		})
	}
	// The header's first name is matched without its byte-order mark.
	s, err := LoadCSV(csvFile(t, "\uFEFFlabel,x\n1,2\n0,3\n"), CSVOptions{LabelColumn: "label", Classification: true})
	if err != nil || !slices.Equal(s.Labels, []int{1, 0}) {
		t.Errorf("BOM: %v %v", err, s)
	}
}

func TestLoadCSVStandardize(t *testing.T) {
	s, err := LoadCSV(csvFile(t, "a,b,y\n1,10,0\n2,10,1\n3,10,0\n"), CSVOptions{LabelIndex: -1, Standardize: true})
	if err != nil {
		t.Fatal(err)
	}
	sd := float32(math.Sqrt(2.0 / 3))
	if st := s.Standardizer; st == nil || !slices.Equal(st.Mean, []float32{2, 10}) || st.Std[0] != sd || st.Std[1] != 1 {
		t.Fatalf("standardizer %+v", s.Standardizer)
	}
	want := []float32{-1 / sd, 0, 0, 0, 1 / sd, 0}
	for i, w := range want {
		if math.Abs(float64(s.X.Data[i]-w)) > 1e-6 {
			t.Fatalf("X %v, want %v", s.X.Data, want)
		}
	}
	// The training statistics apply to another set.
	other, err := LoadCSV(csvFile(t, "a,b,y\n4,12,1\n"), CSVOptions{LabelIndex: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Standardizer.Apply(other.X); err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(other.X.Data[0]-2/sd)) > 1e-6 || other.X.Data[1] != 2 {
		t.Errorf("applied to another set: %v", other.X.Data)
	}
}

func TestLoadCSVBroken(t *testing.T) {
	cases := []struct {
		name    string
		content string
		opts    CSVOptions
		want    []string
	}{
		{"empty file", "", CSVOptions{}, []string{"data.csv", "empty file"}},
		{"blank lines only", "\n\n", CSVOptions{}, []string{"data.csv", "empty file"}},
		{"header only", "a,b\n", CSVOptions{}, []string{"data.csv", "no data rows"}},
		{"non-numeric cell", "a,b,y\n1,2,3\n4,five,6\n", CSVOptions{LabelColumn: "y"},
			[]string{"data.csv:3:3", `column "b"`, `"five"`, "not a number"}},
		{"empty cell", "a,b,y\n1,,3\n", CSVOptions{LabelColumn: "y"}, []string{"data.csv:2:3", `column "b"`, "empty cell"}},
		{"NaN cell", "a,b,y\n1,NaN,3\n", CSVOptions{LabelColumn: "y"}, []string{"data.csv:2:3", `"NaN"`, "not a finite number"}},
		{"out of float32 range", "a,b,y\n1,1e39,3\n", CSVOptions{LabelColumn: "y"}, []string{"data.csv:2:3", `"1e39"`, "out of range"}},
		{"non-numeric target", "a,y\n1,cat\n", CSVOptions{LabelColumn: "y"}, []string{"data.csv:2:3", `target column "y"`, `"cat"`, "Classification"}},
		{"ragged short", "a,b,y\n1,2,3\n4,5\n", CSVOptions{}, []string{"data.csv:3", "2 fields", "header (line 1) has 3"}},
		{"header after blank lines", "\n\na,b,y\n1,2\n", CSVOptions{LabelColumn: "z"}, []string{"data.csv:3", `no label column "z"`}},
		{"ragged after blank lines", "\n\na,b,y\n1,2\n", CSVOptions{}, []string{"data.csv:4", "header (line 3)"}},
		{"ragged long", "a,b,y\n1,2,3,4\n", CSVOptions{}, []string{"data.csv:2", "4 fields"}},
		{"missing label column", "a,b,y\n1,2,3\n", CSVOptions{LabelColumn: "label"},
			[]string{"data.csv:1", `no label column "label"`, `"a", "b", "y"`}},
		{"label index out of range", "a,b\n1,2\n", CSVOptions{LabelIndex: 5}, []string{"data.csv:1", "index 5", `"a", "b"`}},
		{"negative label index out of range", "a,b\n1,2\n", CSVOptions{LabelIndex: -3}, []string{"index -3"}},
		{"only the label column", "y\n1\n", CSVOptions{}, []string{"data.csv:1", "no feature columns"}},
		{"negative class", "x,y\n1,0\n2,-1\n", CSVOptions{LabelColumn: "y", Classification: true},
			[]string{"data.csv:3:3", "class label -1", "out of range"}},
		{"huge class", "x,y\n1,0\n2,1e9\n", CSVOptions{LabelColumn: "y", Classification: true}, []string{"data.csv:3:3", "1e9"}},
		{"empty label", "x,y\n1, \n", CSVOptions{LabelColumn: "y", Classification: true}, []string{"data.csv:2:3", "empty label"}},
		{"bad quote", "x,y\n1,\"2\n", CSVOptions{}, []string{"data.csv:2", "quote"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := LoadCSV(csvFile(t, c.content), c.opts)
			wantErrContains(t, err, c.want...)
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error does not wrap ErrFormat: %v", err)
			}
			if s != nil {
				t.Errorf("got a set with the error")
			}
		})
	}
	_, err := LoadCSV(csvFile(t, "")+".missing", CSVOptions{})
	wantErrContains(t, err, "data.csv.missing")
}

// A test file whose classes appear in another order than the training
// file's numbers them as the training file does; a class the training file
// lacks is an error naming the file, line, class and the known classes.
func TestLoadCSVClassesFromTrainingFile(t *testing.T) {
	opts := CSVOptions{Classification: true, LabelIndex: -1}
	train, err := LoadCSV(csvFile(t, "x,y\n1,cat\n2,dog\n"), opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Classes = train.ClassNames
	test, err := LoadCSV(csvFile(t, "x,y\n3,dog\n4,cat\n5,dog\n"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(test.Labels, []int{1, 0, 1}) || !slices.Equal(test.ClassNames, []string{"cat", "dog"}) {
		t.Errorf("test labels %v names %q, want [1 0 1] numbered as the training file's [cat dog]", test.Labels, test.ClassNames)
	}
	path := csvFile(t, "x,y\n3,dog\n4,bird\n")
	_, err = LoadCSV(path, opts)
	if !errors.Is(err, ErrFormat) {
		t.Errorf("unseen class: %v, want ErrFormat", err)
	}
	wantErrContains(t, err, path+":3:", `"bird"`, `"cat", "dog"`)
	// Numeric labels named by the caller are looked up by name too.
	opts.Classes = []string{"1", "0"}
	s, err := LoadCSV(csvFile(t, "x,y\n3,0\n4,1\n"), opts)
	if err != nil || !slices.Equal(s.Labels, []int{1, 0}) {
		t.Errorf("numeric names: %v %v", err, s)
	}
}

// A training and a test file load as one data set: classes numbered by the
// training file, the standardizer fitted on it alone.
func TestLoadCSVTrainTest(t *testing.T) {
	opts := CSVOptions{Classification: true, LabelIndex: -1, Standardize: true}
	trainPath := csvFile(t, "x,y\n1,cat\n3,dog\n")
	train, test, err := LoadCSVTrainTest(trainPath, csvFile(t, "x,y\n5,dog\n1,cat\n"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(test.Labels, []int{1, 0}) || !slices.Equal(train.Labels, []int{0, 1}) {
		t.Errorf("train labels %v, test labels %v; want [0 1] and [1 0]", train.Labels, test.Labels)
	}
	// Fitted on 1 and 3: mean 2, std 1.
	if !slices.Equal(train.X.Data, []float32{-1, 1}) || !slices.Equal(test.X.Data, []float32{3, -1}) {
		t.Errorf("standardized train %v test %v, want [-1 1] and [3 -1]", train.X.Data, test.X.Data)
	}
	path := csvFile(t, "x,y\n5,bird\n")
	_, _, err = LoadCSVTrainTest(trainPath, path, opts)
	wantErrContains(t, err, path+":2:", `"bird"`, `"cat", "dog"`)
	path = csvFile(t, "x,z,y\n5,1,dog\n")
	_, _, err = LoadCSVTrainTest(trainPath, path, opts)
	wantErrContains(t, err, path, "2 feature columns", "has 1")
	path = csvFile(t, "x,y\n5,dog\n")
	_, _, err = LoadCSVTrainTest(csvFile(t, "x,y\n1,0\n3,1\n"), path, opts)
	wantErrContains(t, err, path, `"dog"`, "numbered classes")
}

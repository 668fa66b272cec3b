package datasets

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/anvil-ml/anvil/tensor"
)

// CSVOptions says how LoadCSV reads a table.
type CSVOptions struct {
	// LabelColumn names the label (or target) column by its header. When
	// empty, LabelIndex picks it.
	LabelColumn string
	// LabelIndex is the label column's 0-based position; a negative value
	// counts from the end (-1 is the last column).
	LabelIndex int
	// Classification makes the label column class labels (Set.Labels)
	// instead of regression targets (Set.Targets). Without Classes, labels
	// are either all whole numbers ≥ 0 (3 or 3.0), used as class indices
	// with no ClassNames, or else names, numbered in order of first
	// appearance and kept in Set.ClassNames.
	Classification bool
	// Classes, when not nil, fixes the class names and their numbering
	// (normally the training set's ClassNames, when reading its test set):
	// each label is looked up by name, and a label not in Classes is an
	// error. This keeps class numbers the same in every file.
	Classes []string
	// Standardize scales each feature to zero mean and unit variance; the
	// fitted Standardizer is kept in Set.Standardizer for use on other sets.
	Standardize bool
}

// maxCSVClasses caps integer class labels, so a stray large number cannot
// make one-hot encoding allocate absurd amounts.
const maxCSVClasses = 1 << 16

// LoadCSV reads a table with a header row from the file at path. Every
// column except the label column must hold numbers; they become X, [N, F].
// Errors name the file, line and column.
func LoadCSV(path string, opts CSVOptions) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	return ReadCSV(f, path, opts)
}

// ReadCSV is LoadCSV reading from r; name is used in errors and as Source.
func ReadCSV(r io.Reader, name string, opts CSVOptions) (*Set, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // ragged rows get our own error, with the header's width
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("datasets: %s: %w: empty file, expected a header row and data rows", name, ErrFormat)
	}
	if err != nil {
		return nil, csvReadErr(name, err)
	}
	headerLine, _ := cr.FieldPos(0) // blank lines before the header are skipped
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	label, err := csvLabelIndex(header, opts, fmt.Sprintf("%s:%d", name, headerLine))
	if err != nil {
		return nil, err
	}
	if len(header) < 2 {
		return nil, fmt.Errorf("datasets: %s:%d: %w: the header has only the label column %q, no feature columns",
			name, headerLine, ErrFormat, header[label])
	}

	var (
		feats     []float32
		labelText []string
		labelPos  [][2]int // line and column of each label cell
		targets   []float32
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvReadErr(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, fmt.Errorf("datasets: %s:%d: %w: row has %d fields, but the header (line %d) has %d",
				name, line, ErrFormat, len(rec), headerLine, len(header))
		}
		for j, cell := range rec {
			if j == label {
				continue
			}
			v, err := parseCell(cell)
			if err != nil {
				l, c := cr.FieldPos(j)
				return nil, fmt.Errorf("datasets: %s:%d:%d: %w: column %q: %q is not a number: %w",
					name, l, c, ErrFormat, header[j], cell, err)
			}
			feats = append(feats, v)
		}
		cell := strings.TrimSpace(rec[label])
		l, c := cr.FieldPos(label)
		if cell == "" {
			return nil, fmt.Errorf("datasets: %s:%d:%d: %w: empty label in column %q", name, l, c, ErrFormat, header[label])
		}
		if opts.Classification {
			labelText = append(labelText, cell)
			labelPos = append(labelPos, [2]int{l, c})
			continue
		}
		v, err := parseCell(cell)
		if err != nil {
			return nil, fmt.Errorf("datasets: %s:%d:%d: %w: target column %q: %q is not a number "+
				"(set Classification for class labels): %w", name, l, c, ErrFormat, header[label], cell, err)
		}
		targets = append(targets, v)
	}

	nf := len(header) - 1
	rows := len(feats) / nf
	if rows == 0 {
		return nil, fmt.Errorf("datasets: %s: %w: a header but no data rows", name, ErrFormat)
	}
	x, err := tensor.FromData(feats, rows, nf)
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", name, err)
	}
	set := &Set{X: x, Source: name}
	if opts.Classification {
		if opts.Classes != nil {
			set.Labels, err = csvKnownClasses(labelText, labelPos, name, header[label], opts.Classes)
			set.ClassNames = append([]string(nil), opts.Classes...)
		} else {
			set.Labels, set.ClassNames, err = csvClasses(labelText, labelPos, name, header[label])
		}
		if err != nil {
			return nil, err
		}
	} else {
		set.Targets, _ = tensor.FromData(targets, rows, 1)
	}
	if opts.Standardize {
		s, err := FitStandardizer(x)
		if err != nil {
			return nil, fmt.Errorf("datasets: %s: %w", name, err)
		}
		if err := s.Apply(x); err != nil {
			return nil, fmt.Errorf("datasets: %s: %w", name, err)
		}
		set.Standardizer = s
	}
	return set, nil
}

// csvLabelIndex resolves the label column from the options; where is the
// header's file:line, for errors.
func csvLabelIndex(header []string, opts CSVOptions, where string) (int, error) {
	if opts.LabelColumn != "" {
		want := strings.TrimSpace(opts.LabelColumn)
		for i, h := range header {
			if h == want {
				return i, nil
			}
		}
		for i, h := range header {
			if strings.EqualFold(h, want) {
				return i, nil
			}
		}
		return 0, fmt.Errorf("datasets: %s: %w: no label column %q; the header has columns %s",
			where, ErrFormat, want, quoteList(header))
	}
	i := opts.LabelIndex
	if i < 0 {
		i += len(header)
	}
	if i < 0 || i >= len(header) {
		return 0, fmt.Errorf("datasets: %s: %w: label column index %d is out of range for the %d columns %s",
			where, ErrFormat, opts.LabelIndex, len(header), quoteList(header))
	}
	return i, nil
}

// csvClasses turns label cells into class indices: whole numbers ≥ 0 (such
// as 3 or 3.0) as they are, or else names numbered in order of first
// appearance.
func csvClasses(text []string, pos [][2]int, name, column string) ([]int, []string, error) {
	labels := make([]int, len(text))
	numeric := true
	values := make([]float64, len(text))
	for i, t := range text {
		// "2" and "2.0" both mean class 2; numbering such labels as names
		// in order of appearance would silently permute the classes.
		v, err := strconv.ParseFloat(t, 64)
		if err != nil || v != math.Trunc(v) || math.IsInf(v, 0) {
			numeric = false
			break
		}
		values[i] = v
	}
	if numeric {
		for i, v := range values {
			if v < 0 || v >= maxCSVClasses {
				return nil, nil, fmt.Errorf("datasets: %s:%d:%d: %w: class label %s in column %q is out of range 0..%d",
					name, pos[i][0], pos[i][1], ErrFormat, text[i], column, maxCSVClasses-1)
			}
			labels[i] = int(v)
		}
		return labels, nil, nil
	}
	index := map[string]int{}
	var names []string
	for i, t := range text {
		k, ok := index[t]
		if !ok {
			k = len(names)
			index[t] = k
			names = append(names, t)
		}
		labels[i] = k
	}
	return labels, names, nil
}

// csvKnownClasses numbers label cells by their position in known, failing
// on the first label that is not there.
func csvKnownClasses(text []string, pos [][2]int, name, column string, known []string) ([]int, error) {
	index := make(map[string]int, len(known))
	for i, k := range known {
		if _, dup := index[k]; !dup {
			index[k] = i
		}
	}
	labels := make([]int, len(text))
	for i, t := range text {
		k, ok := index[t]
		if !ok {
			return nil, fmt.Errorf("datasets: %s:%d:%d: %w: class %q in column %q is not one of the known classes %s",
				name, pos[i][0], pos[i][1], ErrFormat, t, column, quoteList(known))
		}
		labels[i] = k
	}
	return labels, nil
}

// parseCell parses a feature or target cell as a finite float32.
func parseCell(cell string) (float32, error) {
	s := strings.TrimSpace(cell)
	if s == "" {
		return 0, errors.New("empty cell")
	}
	v, err := strconv.ParseFloat(s, 32)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) {
			err = ne.Err
		}
		return 0, err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("not a finite number")
	}
	return float32(v), nil
}

// csvReadErr reports a CSV syntax error with its position.
func csvReadErr(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("datasets: %s:%d:%d: %w: %w", name, pe.Line, pe.Column, ErrFormat, pe.Err)
	}
	return fmt.Errorf("datasets: %s: %w", name, err)
}

// quoteList writes names as "a", "b", "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

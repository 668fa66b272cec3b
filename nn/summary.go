package nn

import (
	"fmt"
	"io"
	"strings"
)

// Summary writes Keras's model summary: a table of layers with their
// output shapes and parameter counts, then the totals. Models whose graph
// is not a simple chain get Keras's wider table with a "Connected to"
// column.
func (m *Model) Summary(w io.Writer) {
	chain := m.isChain()
	lineLen, positions := 65, []int{29, 55, 65}
	header := []string{"Layer (type)", "Output Shape", "Param #"}
	if !chain {
		lineLen, positions = 98, []int{32, 53, 65, 98}
		header = append(header, "Connected to")
	}
	fmt.Fprintf(w, "Model: %q\n", m.name)
	fmt.Fprintln(w, strings.Repeat("_", lineLen))
	printRow(w, header, positions)
	fmt.Fprintln(w, strings.Repeat("=", lineLen))
	for i, l := range m.Layers() {
		if i > 0 {
			fmt.Fprintln(w, strings.Repeat(" ", lineLen))
		}
		printRow(w, m.summaryFields(l, chain), positions)
	}
	fmt.Fprintln(w, strings.Repeat(" ", lineLen))
	fmt.Fprintln(w, strings.Repeat("=", lineLen))
	tr, nt := m.CountParams()
	fmt.Fprintf(w, "Total params: %s\n", thousands(tr+nt))
	fmt.Fprintf(w, "Trainable params: %s\n", thousands(tr))
	fmt.Fprintf(w, "Non-trainable params: %s\n", thousands(nt))
	fmt.Fprintln(w, strings.Repeat("_", lineLen))
}

func (m *Model) summaryFields(l Layer, chain bool) []string {
	b := l.base()
	shape := b.outShape.BatchString()
	if b.class == "InputLayer" {
		shape = "[" + shape + "]"
	}
	params := 0
	for _, v := range b.vars {
		params += v.Shape.Size()
	}
	fields := []string{b.name + " (" + b.class + ")", shape, fmt.Sprint(params)}
	if !chain {
		fields = append(fields, m.connections(b))
	}
	return fields
}

// connections lists the layers feeding b as Keras prints them:
// ['dense[0][0]', 'dense_1[0][0]'].
func (m *Model) connections(b *layerBase) string {
	var parts []string
	for _, n := range m.nodes {
		if n.layer != b {
			continue
		}
		for _, in := range n.inputs {
			parts = append(parts, fmt.Sprintf("'%s[0][0]'", in.node.layer.name))
		}
	}
	if len(parts) == 0 {
		return "[]"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// isChain reports whether every node has at most one input and one
// consumer and no layer is shared: Keras then prints the narrow table.
func (m *Model) isChain() bool {
	if m.sequential {
		return true
	}
	consumers := map[*node]int{}
	for _, n := range m.nodes {
		if len(n.inputs) > 1 || n.layer.calls > 1 {
			return false
		}
		for _, in := range n.inputs {
			consumers[in.node]++
			if consumers[in.node] > 1 {
				return false
			}
		}
	}
	return len(m.inputs) == 1
}

// printRow lays fields out in columns ending at positions, wrapping long
// fields onto further lines after "),", "]," or "'," as Keras does.
func printRow(w io.Writer, fields []string, positions []int) {
	left := append([]string(nil), fields...)
	for anyLeft(left) {
		var line strings.Builder
		for col := range left {
			start := 0
			if col > 0 {
				start = positions[col-1]
			}
			space := 2
			if col == len(positions)-1 {
				space = 0
			}
			cut := min(positions[col]-start-space, len(left[col]))
			fit := left[col][:cut]
			for _, sep := range []string{"),", "},", "],", "',"} {
				if i := strings.Index(fit, sep); i >= 0 && i+len(sep) < cut {
					cut = i + len(sep)
				}
			}
			fit = left[col][:cut]
			if col == 0 {
				line.WriteByte(' ')
			}
			line.WriteString(fit)
			line.WriteString(strings.Repeat(" ", space))
			left[col] = left[col][cut:]
			if pad := positions[col] - line.Len(); pad > 0 {
				line.WriteString(strings.Repeat(" ", pad))
			}
		}
		fmt.Fprintln(w, line.String())
	}
}

func anyLeft(fields []string) bool {
	for _, f := range fields {
		if f != "" {
			return true
		}
	}
	return false
}

// thousands formats n with comma separators: 646260 → "646,260".
func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// MemoryBytes is the backend memory the model's plan needs at the given
// batch size: every weight, optimizer slot, activation and gradient.
func (m *Model) MemoryBytes(batch int) int64 {
	return m.lower(batch, m.defaultSpecs()).plan.Bytes()
}

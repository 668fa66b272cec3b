package datasets

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressBar draws a download's progress on one line, redrawn in place
// with a carriage return, as Keras's get_file does.
type progressBar struct {
	w     io.Writer
	name  string
	total int64
	got   int64
	shown int64 // the byte count last drawn
	last  time.Time
}

// barWidth is the number of characters between the brackets.
const barWidth = 30

// newProgressBar returns a bar for a download of total bytes; with a nil
// writer it draws nothing.
func newProgressBar(w io.Writer, name string, total int64) *progressBar {
	if w == nil {
		w = io.Discard
	}
	return &progressBar{w: w, name: name, total: total, shown: -1}
}

// Write counts p as downloaded and redraws at most ten times a second.
func (b *progressBar) Write(p []byte) (int, error) {
	b.got += int64(len(p))
	if now := time.Now(); now.Sub(b.last) >= 100*time.Millisecond || b.got == b.total {
		b.last = now
		b.draw()
	}
	return len(p), nil
}

// done draws the final state and ends the line; complete says whether the
// download finished.
func (b *progressBar) done(complete bool) {
	b.draw()
	if !complete {
		fmt.Fprint(b.w, " (incomplete)")
	}
	fmt.Fprintln(b.w)
}

func (b *progressBar) draw() {
	if b.got == b.shown {
		return
	}
	b.shown = b.got
	frac := 0.0
	if b.total > 0 {
		frac = min(float64(b.got)/float64(b.total), 1)
	}
	fill := int(frac * barWidth)
	fmt.Fprintf(b.w, "\r%s %6.1f/%.1f MB [%s%s] %3.0f%%", b.name, float64(b.got)/1e6, float64(b.total)/1e6,
		strings.Repeat("=", fill), strings.Repeat(".", barWidth-fill), 100*frac)
}

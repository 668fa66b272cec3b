package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// record is one line of the results file: a verdict, and the hash of the
// source file it was found on, so that a verdict on an older version of a
// file is not reused once the file changes.
type record struct {
	Result
	Source string
}

// store is the append-only results file of one package.
type store struct {
	path   string
	dir    string            // the package directory
	hashes map[string]string // file base name -> hash of its current content
	latest map[string]record // Kind+Key -> the newest verdict
	mu     sync.Mutex
	f      *os.File
}

func openStore(path, pkgDir string) (*store, error) {
	s := &store{path: path, dir: pkgDir, hashes: map[string]string{}, latest: map[string]record{}}
	if f, err := os.Open(path); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var r record
			if json.Unmarshal(sc.Bytes(), &r) == nil {
				s.latest[r.Kind+" "+r.Key()] = r
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("mutate: reading %s: %w", path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	s.f = f
	return s, nil
}

func (s *store) close() { s.f.Close() }

// hash returns the hash of the file's current content.
func (s *store) hash(file string) string {
	if h, ok := s.hashes[file]; ok {
		return h
	}
	src, err := os.ReadFile(filepath.Join(s.dir, file))
	h := ""
	if err == nil {
		sum := sha256.Sum256(src)
		h = hex.EncodeToString(sum[:8])
	}
	s.hashes[file] = h
	return h
}

// known returns the verdict recorded for the mutant on the file as it is now.
func (s *store) known(m Mutant) (record, bool) {
	r, ok := s.latest[m.Kind+" "+m.Key()]
	return r, ok && r.Source == s.hash(m.File)
}

// pending lists the mutants with no verdict on the current code, and with
// rerunLived also those that lived, timed out or were not covered: new
// tests can kill the first two and reach the third.
func (s *store) pending(ms []Mutant, rerunLived bool) []Mutant {
	var out []Mutant
	for _, m := range ms {
		r, ok := s.known(m)
		if !ok || (rerunLived && (r.Verdict == Lived || r.Verdict == TimedOut || r.Verdict == NotCovered)) {
			out = append(out, m)
		}
	}
	return out
}

// add records a verdict and prints it as gremlins would, with the test
// that killed the mutant.
func (s *store) add(res Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := record{Result: res, Source: s.hash(res.File)}
	s.latest[r.Kind+" "+r.Key()] = r
	if line, err := json.Marshal(r); err == nil {
		s.f.Write(append(line, '\n'))
	}
	by := ""
	if res.By != "" {
		by = " by " + res.By
	}
	fmt.Printf("%12s %s at %s (%s -> %s, %d tests, %.0fs)%s\n", res.Verdict, res.Kind, res.ID(),
		res.From, res.To, len(res.Tests), res.Seconds, by)
}

// summarise prints the counts over ms and every mutant that lived.
func (s *store) summarise(w io.Writer, ms []Mutant, name string, interrupted bool) error {
	counts := map[string]int{}
	var lived []string
	missing := 0
	for _, m := range ms {
		r, ok := s.known(m)
		if !ok {
			missing++
			continue
		}
		counts[r.Verdict]++
		if r.Verdict == Lived {
			lived = append(lived, fmt.Sprintf("  LIVED %s %s (%s -> %s)", r.Kind, r.ID(), r.From, r.To))
		}
	}
	k, l := counts[Killed], counts[Lived]
	rate := "n/a"
	if k+l > 0 {
		rate = fmt.Sprintf("%.1f%%", 100*float64(k)/float64(k+l))
	}
	note := ""
	if missing > 0 || interrupted {
		note = fmt.Sprintf(" (partial: %d of %d mutants not run yet)", missing, len(ms))
	}
	_, err := fmt.Fprintf(w, "go ./%s: killed %d, lived %d, timed out %d, not viable %d, not covered %d, kill rate %s%s\n%s",
		name, k, l, counts[TimedOut], counts[NotViable], counts[NotCovered], rate, note, joinLines(lived))
	return err
}

func joinLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

package tensor

import (
	"encoding/binary"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestStepArgsMatchesGLSL parses the StepArgs block every shader includes
// from shaders/common.glsl and checks that its members are the words of
// StepArgsLayout, in order, with their types and std430 offsets (every
// member is a 4-byte scalar, so member i sits at byte 4·i).
func TestStepArgsMatchesGLSL(t *testing.T) {
	src, err := os.ReadFile("../shaders/common.glsl")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)layout\(std430[^)]*binding\s*=\s*0\)\s*readonly\s+buffer\s+StepArgs\s*\{(.*?)\}\s*args;`).
		FindSubmatch(src)
	if block == nil {
		t.Fatal("no StepArgs block at binding 0 in shaders/common.glsl")
	}
	var body []string
	for _, line := range strings.Split(string(block[1]), "\n") {
		line, _, _ = strings.Cut(line, "//")
		body = append(body, line)
	}
	decls := strings.Split(strings.Join(body, " "), ";")
	member := regexp.MustCompile(`^\s*(\w+)\s+(\w+)\s*$`)
	var got []StepArgsField
	for i, d := range decls {
		if strings.TrimSpace(d) == "" {
			continue
		}
		m := member.FindStringSubmatch(d)
		if m == nil {
			t.Fatalf("cannot parse member %q of the GLSL StepArgs block", d)
		}
		if m[1] != "uint" && m[1] != "float" {
			t.Fatalf("member %q: only 4-byte uint and float members keep offset 4·i", d)
		}
		got = append(got, StepArgsField{Name: m[2], GLSLType: m[1], Offset: 4 * i})
	}
	if len(got) != len(StepArgsLayout) {
		t.Fatalf("GLSL block has %d members %v, StepArgsLayout %d %v", len(got), got, len(StepArgsLayout), StepArgsLayout)
	}
	for i := range got {
		if got[i] != StepArgsLayout[i] {
			t.Errorf("member %d: GLSL %+v, Go %+v", i, got[i], StepArgsLayout[i])
		}
	}
	if last := got[len(got)-1].Offset + 4; last > StepArgsSize {
		t.Errorf("the GLSL block needs %d bytes, StepArgsSize is %d", last, StepArgsSize)
	}
}

// TestStepArgsEncode checks each field lands at its named offset, the
// 64-bit values split low word first.
func TestStepArgsEncode(t *testing.T) {
	buf := make([]byte, StepArgsSize)
	for i := range buf {
		buf[i] = 0xAB
	}
	a := StepArgs{Rows: 77, Step: 0x0102030405060708, LearningRate: 0.125, Seed: 0x1112131415161718, Start: 4242, RowOffset: 300}
	a.Encode(buf)
	le := binary.LittleEndian
	want := map[int]uint32{
		StepArgsRows: 77, StepArgsStepLo: 0x05060708, StepArgsStepHi: 0x01020304,
		StepArgsSeedLo: 0x15161718, StepArgsSeedHi: 0x11121314, StepArgsLR: math.Float32bits(0.125),
		StepArgsStart: 4242, StepArgsRowOffset: 300,
	}
	for off, w := range want {
		if got := le.Uint32(buf[off:]); got != w {
			t.Errorf("word at %d = %#x, want %#x", off, got, w)
		}
	}
	if StepArgsRowOffset+4 != StepArgsSize {
		t.Errorf("the fields end at %d, StepArgsSize is %d: a new field needs a word here", StepArgsRowOffset+4, StepArgsSize)
	}
	if n := testing.AllocsPerRun(10, func() { a.Encode(buf) }); n != 0 {
		t.Errorf("Encode allocates %v times", n)
	}
}

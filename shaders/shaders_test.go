package shaders

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestEverySourceHasSPIRV(t *testing.T) {
	sources, err := filepath.Glob("*.comp")
	if err != nil || len(sources) == 0 {
		t.Fatalf("no shader sources found: %v", err)
	}
	for _, src := range sources {
		name := strings.TrimSuffix(src, ".comp")
		code, err := Lookup(name)
		if err != nil {
			t.Errorf("%s: %v; run shaders/generate.sh", src, err)
			continue
		}
		if len(code)%4 != 0 || binary.LittleEndian.Uint32(code) != 0x07230203 {
			t.Errorf("%s.spv is not SPIR-V (len %d)", name, len(code))
		}
	}
	if len(Names()) != len(sources) {
		t.Errorf("embedded %v, sources %v: an .spv has no source", Names(), sources)
	}
}

func TestLookupUnknown(t *testing.T) {
	if _, err := Lookup("no-such-shader"); err == nil || !strings.Contains(err.Error(), "axpy") {
		t.Errorf("Lookup of an unknown shader: got %v, want an error listing the known ones", err)
	}
}

// TestCommittedSPIRVIsFresh runs check.sh when the shader tools are
// installed. ANVIL_REQUIRE_SHADER_TOOLS=1 turns their absence into a failure.
func TestCommittedSPIRVIsFresh(t *testing.T) {
	for _, tool := range []string{"glslc", "spirv-val"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("ANVIL_REQUIRE_SHADER_TOOLS") == "1" {
				t.Fatalf("%s not found and ANVIL_REQUIRE_SHADER_TOOLS=1", tool)
			}
			t.Skipf("%s not found; install glslc and spirv-tools to check the committed SPIR-V", tool)
		}
	}
	out, err := exec.Command("./check.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("check.sh: %v\n%s", err, out)
	}
}

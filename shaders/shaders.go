// Package shaders holds Anvil's GLSL compute shaders and their SPIR-V.
//
// Each NAME.comp in this folder is compiled by generate.sh to NAME.spv, and
// the .spv files are committed and embedded in the binary, so building
// Anvil needs no shader compiler. check.sh (and this package's test) fails
// when a committed .spv is stale.
//
// Conventions every shader follows:
//   - Storage buffers are std430 at set 0. In an op kernel (every shader
//     that includes common.glsl) binding 0 is the step-arguments block the
//     host rewrites before each replay, and the op's buffers follow from
//     binding 1 in the order the shader's comment lists them. The
//     standalone axpy and fill shaders bind their buffers from 0.
//   - Per-dispatch scalars are a std430 push-constant block of at most 128
//     bytes.
//   - Specialization constant 0 is the workgroup size in x
//     (local_size_x_id = 0); further constants are listed in the shader.
package shaders

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.spv
var files embed.FS

// Lookup returns the SPIR-V of the shader called name (the file name
// without .comp). The bytes are shared: do not modify them.
func Lookup(name string) ([]byte, error) {
	code, err := files.ReadFile(name + ".spv")
	if err != nil {
		return nil, fmt.Errorf("shaders: no shader %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return code, nil
}

// Names lists the embedded shaders, sorted.
func Names() []string {
	matches, _ := fs.Glob(files, "*.spv")
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = strings.TrimSuffix(m, ".spv")
	}
	sort.Strings(names)
	return names
}

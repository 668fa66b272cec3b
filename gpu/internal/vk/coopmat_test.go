package vk

import "testing"

// TestCoopMatrixNVInfo checks what the device reports of
// VK_NV_cooperative_matrix: shapes only where the extension is usable,
// each a real shape, and the float16×float16+float32 one every NVIDIA GPU
// with tensor cores offers (16×8×16 or 16×16×16). Where the extension is
// absent (lavapipe) it says so in the log.
func TestCoopMatrixNVInfo(t *testing.T) {
	info := openTest(t).Info()
	if !info.CooperativeMatrixNV {
		if len(info.CoopShapesNV) != 0 {
			t.Errorf("%d shapes without the extension", len(info.CoopShapesNV))
		}
		t.Logf("%s: VK_NV_cooperative_matrix is not available; nothing else to check", info.Name)
		return
	}
	mixed := false
	for _, s := range info.CoopShapesNV {
		t.Logf("shape %v", s)
		if s.M <= 0 || s.N <= 0 || s.K <= 0 {
			t.Errorf("shape %v has an empty dimension", s)
		}
		mixed = mixed || s.A == Float16Component && s.B == Float16Component && s.C == Float32Component &&
			s.D == Float32Component && s.Scope == SubgroupScope
	}
	if !mixed && info.Vendor == "NVIDIA" {
		t.Errorf("%s offers no float16×float16+float32 subgroup shape: %v", info.Name, info.CoopShapesNV)
	}
}

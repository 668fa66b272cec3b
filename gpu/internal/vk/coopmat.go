package vk

import "fmt"

// CoopShape is one fragment shape VK_NV_cooperative_matrix offers (a
// VkCooperativeMatrixPropertiesNV): D = A·B + C with A M×K, B K×N, C and
// D M×N, of the given component types, shared by the invocations of
// Scope.
type CoopShape struct {
	M, N, K    int
	A, B, C, D ComponentType
	Scope      Scope
}

func (s CoopShape) String() string {
	return fmt.Sprintf("%dx%dx%d %v*%v+%v->%v %v", s.M, s.N, s.K, s.A, s.B, s.C, s.D, s.Scope)
}

// ComponentType is a VkComponentTypeNV.
type ComponentType uint32

// The component types Anvil's shaders use.
const (
	Float16Component ComponentType = vkComponentTypeFloat16
	Float32Component ComponentType = vkComponentTypeFloat32
)

func (t ComponentType) String() string {
	switch t {
	case Float16Component:
		return "f16"
	case Float32Component:
		return "f32"
	}
	return fmt.Sprintf("type%d", uint32(t))
}

// Scope is a VkScopeNV.
type Scope uint32

// SubgroupScope is the scope of fragments a subgroup (warp) shares, the
// one Anvil's shaders use.
const SubgroupScope Scope = vkScopeSubgroup

func (s Scope) String() string {
	if s == SubgroupScope {
		return "subgroup"
	}
	return fmt.Sprintf("scope%d", uint32(s))
}

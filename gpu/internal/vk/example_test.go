package vk_test

import (
	"fmt"
	"log"

	"github.com/anvil-ml/anvil/gpu/internal/vk"
)

// Example computes y = 2x + y on the GPU with a command buffer recorded once
// and replayed.
func Example() {
	dev, err := vk.Open(vk.Options{})
	if err != nil {
		log.Fatal(err) // errors.Is(err, vk.ErrUnavailable): fall back to the CPU
	}
	defer dev.Close()
	fmt.Println(dev.Info())

	const n = 1000
	x, _ := dev.NewBuffer(4*n, vk.DeviceMemory)
	y, _ := dev.NewBuffer(4*n, vk.DeviceMemory)
	ones := make([]float32, n)
	for i := range ones {
		ones[i] = 1
	}
	x.WriteFloat32(ones)
	y.WriteFloat32(ones)

	axpy, err := dev.NewPipeline(vk.PipelineSpec{Shader: "axpy", Bindings: 2, PushBytes: 8, Constants: []uint32{64}})
	if err != nil {
		log.Fatal(err)
	}
	set, _ := axpy.Bind(x, y)
	cmds, _ := dev.NewCommands()
	cmds.Begin()
	cmds.Dispatch(set, vk.Push{}.Uint32(n).Float32(2), vk.Groups(n, 64), 1, 1)
	if err := cmds.End(); err != nil {
		log.Fatal(err)
	}
	for range 3 {
		if err := cmds.Run(); err != nil {
			log.Fatal(err)
		}
	}
	out := make([]float32, n)
	y.ReadFloat32(out)
	fmt.Println(out[0], out[n-1]) // 1 + 3·2
}

// ExampleDevices prints the line the CLI shows for each device.
func ExampleDevices() {
	infos, err := vk.Devices()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, info := range infos {
		fmt.Println(info)
	}
}

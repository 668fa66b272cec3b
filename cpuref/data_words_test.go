package cpuref

import (
	"encoding/binary"
	"testing"
)

// TestPutWords writes byte strings of every length 0..13 at every offset
// 0..7 into 32-bit little-endian words and compares with the same write
// done byte by byte on a plain byte image of the words: whole words in
// the middle, partial words at either end keeping their other bytes.
func TestPutWords(t *testing.T) {
	const words = 6
	for off := 0; off < 8; off++ {
		for n := 0; off+n <= 4*words && n <= 13; n++ {
			w := make([]uint32, words)
			image := make([]byte, 4*words)
			for i := range w {
				w[i] = 0xa0a0a0a0 + uint32(i)*0x01010101
				binary.LittleEndian.PutUint32(image[4*i:], w[i])
			}
			data := make([]byte, n)
			for i := range data {
				data[i] = byte(0x10 + i)
			}
			copy(image[off:], data)
			putWords(data, off, func(i int, v uint32) { w[i] = v }, func(i int) uint32 { return w[i] })
			for i := range w {
				if want := binary.LittleEndian.Uint32(image[4*i:]); w[i] != want {
					t.Fatalf("%d bytes at %d: word %d = %#08x, want %#08x", n, off, i, w[i], want)
				}
			}
		}
	}
}

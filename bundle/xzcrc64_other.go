//go:build !amd64

package bundle

// Without carry-less multiplication in assembly, the CRC64 takes sixteen
// bytes a step with tables.
var crc64HasFold = false

func crc64Fold(a0, a1 uint64, p []byte, k *[2]uint64) (r0, r1 uint64) {
	panic("crc64Fold without assembly")
}

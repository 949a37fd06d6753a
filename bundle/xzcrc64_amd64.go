package bundle

import "golang.org/x/sys/cpu"

// crc64Fold is in xzcrc64_amd64.s.
//
//go:noescape
func crc64Fold(a0, a1 uint64, p []byte, k *[2]uint64) (r0, r1 uint64)

// crc64HasFold says whether this CPU has carry-less multiplication.
var crc64HasFold = cpu.X86.HasPCLMULQDQ && cpu.X86.HasSSE41

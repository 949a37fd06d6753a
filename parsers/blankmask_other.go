//go:build !amd64 || purego

package parsers

// blankMask returns the blanks of b (at most 128 bytes): bit i of the
// first word, or bit i-64 of the second, is set when b[i] is a space or a
// tab.
func blankMask(b []byte) [2]uint64 { return blankMaskWords(b) }

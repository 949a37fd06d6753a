//go:build !amd64 || purego

package parsers

func blankMask(b []byte) [2]uint64 { return blankMaskWords(b, 0, [2]uint64{}) }

package bundle

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// check7z verifies the two checksums that protect a 7z archive's headers
// before the 7z library parses them. The library allocates from the counts
// and sizes the header declares without bounding them, so one damaged byte
// can make it ask for terabytes, which ends the process instead of failing
// (found by Fuzz7z; the input is kept in testdata/fuzz/Fuzz7z). With the
// checks, a damaged header is reported as corruption. A header crafted with
// correct checksums is caught by check7zCounts when its counts cannot fit
// or exceed maxEntries (--max-entries).
//
// Layout (7zFormat.txt): signature (6 bytes), version (2), CRC-32 of the
// start header (4), then the start header: next header offset (8, from the
// end of these 32 bytes), next header size (8), next header CRC-32 (4).
func check7z(ra io.ReaderAt, size int64, maxEntries int) error {
	var sh [32]byte
	if _, err := ra.ReadAt(sh[:], 0); err != nil {
		return errors.New("the 7z signature header is cut short")
	}
	le := binary.LittleEndian
	if crc32.ChecksumIEEE(sh[12:32]) != le.Uint32(sh[8:]) {
		return errors.New("the 7z start header fails its checksum")
	}
	off, n := le.Uint64(sh[12:]), le.Uint64(sh[20:])
	if off > uint64(size) || n > uint64(size) || 32+off+n > uint64(size) {
		return errors.New("the 7z header lies past the end of the file (a cut download?)")
	}
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, io.NewSectionReader(ra, int64(32+off), int64(n))); err != nil {
		return err
	}
	if h.Sum32() != le.Uint32(sh[28:]) {
		return errors.New("the 7z header fails its checksum")
	}
	return check7zCounts(ra, off, n, maxEntries)
}

package bundle_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"runtime"
	"strings"
	"testing"

	"github.com/fsagent/triage/bundle"
	"github.com/fsagent/triage/internal/archivetest"
	"github.com/ulikunitz/xz/lzma"
)

// num7z encodes v as a 7z UINT64 in its 9-byte form (first byte 0xff, then
// 8 little-endian bytes), which is valid for any value.
func num7z(v uint64) []byte {
	return binary.LittleEndian.AppendUint64([]byte{0xff}, v)
}

// crafted7z builds a 7z archive whose checksums are all correct: one
// stored (Copy coder) stream holding "hello\n", then a plain header whose
// folder and file counts are the ones given. The library would size its
// slices from those counts.
func crafted7z(folders, files uint64) []byte {
	return wrap7z([]byte("hello\n"), craftedHeader7z(folders, files))
}

// craftedHeader7z is the plain header of crafted7z.
func craftedHeader7z(folders, files uint64) []byte {
	var h []byte
	h = append(h, 0x01, 0x04)                                   // kHeader, kMainStreamsInfo
	h = append(h, 0x06, 0x00, 0x01, 0x09, 0x06, 0x00)           // kPackInfo pos 0, 1 stream, kSize 6, kEnd
	h = append(h, 0x07, 0x0b)                                   // kUnPackInfo, kFolder
	h = append(h, num7z(folders)...)                            // number of folders
	h = append(h, 0x00, 0x01, 0x01, 0x00, 0x0c, 0x06, 0x00)     // not external; 1 coder, id 00 (Copy); kCodersUnPackSize 6; kEnd
	h = append(h, 0x00, 0x05)                                   // end of streams info; kFilesInfo
	h = append(h, num7z(files)...)                              // number of files
	h = append(h, 0x11, 0x0d, 0x00)                             // kName, 13 bytes, not external
	h = append(h, 'a', 0, '.', 0, 't', 0, 'x', 0, 't', 0, 0, 0) // "a.txt" in UTF-16LE, ended by 0
	h = append(h, 0x00, 0x00)                                   // end of file properties; end of header
	return h
}

// encoded7z is crafted7z with its header packed by LZMA behind an encoded
// header, as 7-Zip writes it by default.
func encoded7z(t testing.TB, folders, files uint64) []byte {
	t.Helper()
	plain := craftedHeader7z(folders, files)
	var buf bytes.Buffer
	w, err := lzma.WriterConfig{Size: int64(len(plain))}.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// The classic LZMA header: properties (5 bytes) and size (8), then the
	// stream; 7z keeps the properties in the coder and the size apart.
	props, stream := buf.Bytes()[:5], buf.Bytes()[13:]
	data := []byte("hello\n")
	h := []byte{0x17, 0x06}                           // kEncodedHeader, kPackInfo
	h = append(h, num7z(uint64(len(data)))...)        // the packed header after the file's data
	h = append(h, num7z(1)...)                        // one packed stream
	h = append(h, 0x09)                               // kSize
	h = append(h, num7z(uint64(len(stream)))...)      // its size
	h = append(h, 0x00, 0x07, 0x0b, 0x01, 0x00)       // kEnd; kUnPackInfo, kFolder, 1 folder, not external
	h = append(h, 0x01, 0x23, 0x03, 0x01, 0x01, 0x05) // 1 coder: 3-byte ID 03 01 01 (LZMA) with 5 bytes of properties
	h = append(h, props...)                           //
	h = append(h, 0x0c)                               // kCodersUnPackSize
	h = append(h, num7z(uint64(len(plain)))...)       // the header's size
	h = append(h, 0x00, 0x00)                         // kEnd of unpack info; kEnd of streams info
	return wrap7z(append(data, stream...), h)
}

// wrap7z puts packed data and a next header behind a signature header,
// with all checksums right.
func wrap7z(packed, h []byte) []byte {
	start := make([]byte, 20)
	binary.LittleEndian.PutUint64(start[0:], uint64(len(packed)))
	binary.LittleEndian.PutUint64(start[8:], uint64(len(h)))
	binary.LittleEndian.PutUint32(start[16:], crc32.ChecksumIEEE(h))
	out := []byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c, 0, 4}
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(start))
	out = append(out, start...)
	out = append(out, packed...)
	return append(out, h...)
}

// TestCrafted7zCountsRefused: a 7z header with correct checksums but counts
// that cannot fit (or exceed --max-entries) is refused with one warning
// naming the archive, before the 7z library allocates from them, and the
// files beside it in the bundle are still read.
func TestCrafted7zCountsRefused(t *testing.T) {
	cases := []struct {
		name           string
		folders, files uint64
		encoded        bool // an encoded header declaring 2^40 bytes
		packed         bool // the header packed by LZMA behind an encoded one
		lim            bundle.Limits
		loss, msg      string
	}{
		{
			name: "files over max-entries", folders: 1, files: 1 << 40,
			loss: bundle.LossLimit,
			msg:  "7z archive skipped: its header declares 1099511627776 files, more than the 100000 entries allowed (limit --max-entries; raise it only for a bundle you trust)",
		},
		{
			// Under a raised --max-entries, 2 million files cannot fit in
			// a 40-byte header; the library would allocate ~0.5 GB for them.
			name: "files cannot fit", folders: 1, files: 1 << 21, lim: bundle.Limits{MaxEntries: 1 << 30},
			loss: bundle.LossArchive,
			msg:  "7z archive is truncated or corrupt (the 7z header declares 2097152 files, more than its remaining 17 bytes can hold (a crafted or corrupt header)); 0 entries before the damage were read, the rest is skipped",
		},
		{
			name: "encoded header too big", encoded: true,
			loss: bundle.LossArchive,
			msg:  "7z archive is truncated or corrupt (the encoded 7z header declares 1099511627776 bytes once unpacked, over the 64 MiB a header may take); 0 entries before the damage were read, the rest is skipped",
		},
		{
			// The counts inside a packed header are checked too: the
			// library would allocate ~0.6 GB for 4 million files.
			name: "packed header, files over max-entries", folders: 1, files: 1 << 22, packed: true,
			loss: bundle.LossLimit,
			msg:  "7z archive skipped: its header declares 4194304 files, more than the 100000 entries allowed (limit --max-entries; raise it only for a bundle you trust)",
		},
		{
			name: "packed header, files cannot fit", folders: 1, files: 1 << 21, packed: true, lim: bundle.Limits{MaxEntries: 1 << 30},
			loss: bundle.LossArchive,
			msg:  "7z archive is truncated or corrupt (the 7z header declares 2097152 files, more than its remaining 17 bytes can hold (a crafted or corrupt header)); 0 entries before the damage were read, the rest is skipped",
		},
		{
			name: "folders cannot fit", folders: 1 << 21, files: 1,
			loss: bundle.LossArchive,
			msg:  "7z archive is truncated or corrupt (the 7z header declares 2097152 folders, more than its remaining 35 bytes can hold (a crafted or corrupt header)); 0 entries before the damage were read, the rest is skipped",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lim := c.lim
			if lim.MaxBufferBytes == 0 {
				lim.MaxBufferBytes = 1 << 20
			}
			data := crafted7z(c.folders, c.files)
			if c.packed {
				data = encoded7z(t, c.folders, c.files)
			}
			if c.encoded {
				h := []byte{0x17, 0x06, 0x00, 0x01, 0x09, 0x06, 0x00, 0x07, 0x0b, 0x01, 0x00, 0x01, 0x01, 0x00, 0x0c}
				h = append(append(h, num7z(1<<40)...), 0x00, 0x00)
				data = wrap7z([]byte("hello\n"), h)
			}
			outer := archivetest.Tar(t,
				archivetest.Entry{Name: "case/before.txt", Body: "before\n"},
				archivetest.Entry{Name: "case/crafted.7z", Body: string(data)},
				archivetest.Entry{Name: "case/after.txt", Body: "after\n"},
			)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			b, got := walkMem(t, "bundle.tar", outer, lim)
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
				t.Errorf("reading the bundle allocated %d MB; the crafted counts reached an allocation", grew>>20)
			}
			read := map[string]string{}
			for _, f := range got {
				read[f.Path] = f.Body
			}
			if read["case/before.txt"] != "before\n" || read["case/after.txt"] != "after\n" {
				t.Errorf("files beside the crafted 7z were not read: %v", read)
			}
			var found bool
			for _, w := range b.Warnings() {
				if w.Path == "case/crafted.7z" {
					found = true
					if w.Msg != c.msg || w.Loss != c.loss {
						t.Errorf("warning = %q (loss %q)\nwant      %q (loss %q)", w.Msg, w.Loss, c.msg, c.loss)
					}
				}
			}
			if !found {
				t.Errorf("no warning names case/crafted.7z: %v", b.Warnings())
			}
		})
	}
}

// TestCrafted7zWithSaneCountsIsRead: the crafted archive with counts that
// fit is read by the library, so the refusals above come from the counts.
func TestCrafted7zWithSaneCountsIsRead(t *testing.T) {
	for name, data := range map[string][]byte{"plain": crafted7z(1, 1), "packed": encoded7z(t, 1, 1)} {
		b, got := walkMem(t, "one.7z", data, bundle.Limits{})
		if len(got) != 1 || got[0].Body != "hello\n" {
			t.Errorf("%s header: the crafted 7z with sane counts yielded %+v, want its one file", name, got)
		}
		for _, w := range b.Warnings() {
			if strings.Contains(w.Msg, "7z header declares") {
				t.Errorf("%s header: a header with sane counts was refused: %v", name, w)
			}
		}
	}
}

package bundle

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/ulikunitz/xz/lzma"
)

// The 7z library (bodgit/sevenzip) sizes its slices from the counts a 7z
// header declares (files, folders, coders, streams) before reading what they
// count, so a header with correct checksums can still ask for terabytes and
// end the process. check7zCounts walks the header once, streaming and without
// allocating from any declared number, and refuses counts that cannot fit in
// the bytes left in the header or that exceed --max-entries. Anything it does
// not understand it leaves to the library: it refuses only what cannot be a
// valid archive. The property IDs and number encoding are those of 7-Zip's
// 7zFormat.txt.
//
// An encoded header (7-Zip's default: the header compressed with LZMA) is
// checked in two steps: its stored streams info (one folder, sane coders,
// packed bytes inside the file, at most max7zEncodedHeader bytes unpacked),
// then, when it is packed by LZMA alone as 7-Zip and p7zip write it, the
// header it unpacks to, streamed through an LZMA decoder and checked like a
// plain one. A header packed any other way (LZMA2, a filter before LZMA,
// encryption) is left to the library after the first step.

// 7z header property IDs.
const (
	id7zEnd             = 0x00
	id7zHeader          = 0x01
	id7zArchiveProps    = 0x02
	id7zAdditional      = 0x03
	id7zMainStreams     = 0x04
	id7zFilesInfo       = 0x05
	id7zPackInfo        = 0x06
	id7zUnpackInfo      = 0x07
	id7zSubStreams      = 0x08
	id7zSize            = 0x09
	id7zCRC             = 0x0A
	id7zFolder          = 0x0B
	id7zCodersUnpack    = 0x0C
	id7zNumUnpackStream = 0x0D
	id7zEncodedHeader   = 0x17
)

const (
	// max7zFolderStreams is 7-Zip's own bound on the coders, and on the in
	// and out streams, of one folder: more cannot be a valid archive.
	max7zFolderStreams = 64
	// max7zEncodedHeader caps the unpacked size an encoded (compressed) 7z
	// header may declare: a header listing 100,000 files with long names
	// takes a few tens of MB.
	max7zEncodedHeader = 64 << 20
)

// errStop7zCheck ends the check early on a header it does not follow; the
// library then reads (or refuses) the archive as before.
var errStop7zCheck = errors.New("7z header not followed")

// hdr7z reads a 7z header from its stream, counting the bytes left.
type hdr7z struct {
	r          *bufio.Reader
	ra         io.ReaderAt // the archive, for an encoded header's packed bytes
	left       uint64      // bytes of the header not yet read
	packEnd    uint64      // where the packed streams must end: the header's offset
	maxEntries int
	encoded    bool   // reading an encoded header's streams info
	unpacked   bool   // reading the header an encoded one unpacked to
	packed     packed // what an encoded header's streams info declares
}

// packed is how an encoded header says its header is stored: where its
// packed bytes are, the one coder that unpacks them, and the unpacked size.
// coders and streams count what was declared, so that anything but one
// coder over one packed stream is left alone.
type packed struct {
	pos, size       uint64
	streams, coders int
	method, props   []byte
	unpacked        uint64
}

// method7zLZMA is the coder ID of LZMA in 7z (7-Zip's Methods.txt).
var method7zLZMA = []byte{0x03, 0x01, 0x01}

// check7zCounts checks the next header of a 7z archive (at off from the
// end of the 32-byte signature header, n bytes long, checksum already
// verified). It returns a *limitError when a count exceeds maxEntries.
func check7zCounts(ra io.ReaderAt, off, n uint64, maxEntries int) error {
	h := &hdr7z{
		r:          bufio.NewReaderSize(io.NewSectionReader(ra, int64(32+off), int64(n)), 4096),
		ra:         ra,
		left:       n,
		packEnd:    off,
		maxEntries: maxEntries,
	}
	err := h.header()
	if errors.Is(err, errStop7zCheck) {
		return nil
	}
	return err
}

func (h *hdr7z) byte() (byte, error) {
	if h.left == 0 {
		return 0, errors.New("the 7z header ends in the middle of a field")
	}
	b, err := h.r.ReadByte()
	if err != nil {
		return 0, fmt.Errorf("reading the 7z header: %w", err)
	}
	h.left--
	return b, nil
}

// num reads a 7z UINT64: the high bits of the first byte say how many
// more bytes follow (little-endian); the rest of the first byte is the top.
func (h *hdr7z) num() (uint64, error) {
	first, err := h.byte()
	if err != nil {
		return 0, err
	}
	extra := bits.LeadingZeros8(^first)
	var v uint64
	for i := 0; i < extra; i++ {
		b, err := h.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(b) << (8 * i)
	}
	if extra < 7 {
		v |= uint64(first&(0xff>>(extra+1))) << (8 * extra)
	}
	return v, nil
}

// bytes reads a field of n bytes (n at most 16: a coder's ID or
// properties).
func (h *hdr7z) bytes(n uint64) ([]byte, error) {
	if n > h.left {
		return nil, fmt.Errorf("the 7z header declares a %d-byte field with %d bytes left in it", n, h.left)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(h.r, b); err != nil {
		return nil, fmt.Errorf("reading the 7z header: %w", err)
	}
	h.left -= n
	return b, nil
}

// unpack checks the header an encoded header packs, when LZMA alone packs
// it into one stream inside the file: it streams the header through a
// decoder (holding at most its unpacked size, itself at most
// max7zEncodedHeader) into the checks of a plain header. A stream that does
// not decode is left to the library, which reports it.
func (h *hdr7z) unpack() error {
	p := h.packed
	if p.streams != 1 || p.coders != 1 || !bytes.Equal(p.method, method7zLZMA) || len(p.props) != 5 ||
		p.size == 0 || p.unpacked == 0 || p.pos > h.packEnd || p.size > h.packEnd-p.pos {
		return errStop7zCheck
	}
	// The decoder reads LZMA's classic header: the properties 7z stores
	// (lc/lp/pb, dictionary size), then the unpacked size.
	head := binary.LittleEndian.AppendUint64(append([]byte{}, p.props...), p.unpacked)
	dec, err := lzma.NewReader(io.MultiReader(bytes.NewReader(head), io.NewSectionReader(h.ra, int64(32+p.pos), int64(p.size))))
	if err != nil {
		return errStop7zCheck
	}
	inner := &hdr7z{r: bufio.NewReaderSize(&stopOnError{r: dec}, 4096), ra: h.ra, left: p.unpacked,
		packEnd: h.packEnd, maxEntries: h.maxEntries, unpacked: true}
	err = inner.header()
	var de decodeError
	if errors.As(err, &de) {
		return errStop7zCheck
	}
	return err
}

// decodeError is a failure of the LZMA decoder under an encoded header's
// check: a damaged stream, which the library reports when it reads it.
type decodeError struct{ err error }

func (e decodeError) Error() string { return e.err.Error() }
func (e decodeError) Unwrap() error { return e.err }

// stopOnError marks the decoder's errors (but not the end of the header)
// as decodeError, so unpack can tell them from what the check refuses.
type stopOnError struct{ r io.Reader }

func (s *stopOnError) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = decodeError{err}
	}
	return n, err
}

func (h *hdr7z) skip(n uint64) error {
	if n > h.left {
		return fmt.Errorf("the 7z header declares a %d-byte field with %d bytes left in it", n, h.left)
	}
	if _, err := h.r.Discard(int(n)); err != nil {
		return fmt.Errorf("reading the 7z header: %w", err)
	}
	h.left -= n
	return nil
}

// fits refuses a count of items that each take at least one header byte
// (per items per byte) when the header has too few bytes left for them.
func (h *hdr7z) fits(what string, count, per uint64) error {
	if count/per > h.left {
		return fmt.Errorf("the 7z header declares %d %s, more than its remaining %d bytes can hold (a crafted or corrupt header)", count, what, h.left)
	}
	return nil
}

func (h *hdr7z) header() error {
	id, err := h.byte()
	if err != nil {
		return err
	}
	switch id {
	case id7zEncodedHeader:
		if h.unpacked {
			return errStop7zCheck // encoded twice: 7-Zip never writes it
		}
		h.encoded = true
		if _, err := h.streamsInfo(); err != nil {
			return err
		}
		return h.unpack()
	case id7zHeader:
	default:
		return errStop7zCheck
	}
	streams := uint64(0)
	for {
		id, err := h.byte()
		if err != nil {
			return err
		}
		switch id {
		case id7zEnd:
			return nil
		case id7zArchiveProps:
			if err := h.properties(); err != nil {
				return err
			}
		case id7zAdditional, id7zMainStreams:
			n, err := h.streamsInfo()
			if err != nil {
				return err
			}
			streams += n
		case id7zFilesInfo:
			if err := h.filesInfo(streams); err != nil {
				return err
			}
		default:
			return errStop7zCheck
		}
	}
}

// properties skips a list of (type, size, bytes) records ended by 0.
func (h *hdr7z) properties() error {
	for {
		t, err := h.byte()
		if err != nil || t == id7zEnd {
			return err
		}
		size, err := h.num()
		if err != nil {
			return err
		}
		if err := h.skip(size); err != nil {
			return err
		}
	}
}

// streamsInfo checks PackInfo, UnpackInfo and SubStreamsInfo and returns
// the number of unpacked streams (files with data) it declares.
func (h *hdr7z) streamsInfo() (uint64, error) {
	id, err := h.byte()
	if err != nil {
		return 0, err
	}
	if id == id7zPackInfo {
		if err := h.packInfo(); err != nil {
			return 0, err
		}
		if id, err = h.byte(); err != nil {
			return 0, err
		}
	}
	var folders uint64
	var folderCRC []byte // bit set: folders whose CRC is declared
	if id == id7zUnpackInfo {
		if folders, folderCRC, err = h.unpackInfo(); err != nil {
			return 0, err
		}
		if id, err = h.byte(); err != nil {
			return 0, err
		}
	}
	streams := folders
	if id == id7zSubStreams {
		if streams, err = h.subStreams(folders, folderCRC); err != nil {
			return 0, err
		}
		if id, err = h.byte(); err != nil {
			return 0, err
		}
	}
	if id != id7zEnd {
		return 0, errStop7zCheck
	}
	return streams, nil
}

func (h *hdr7z) packInfo() error {
	pos, err := h.num()
	if err != nil {
		return err
	}
	count, err := h.num()
	if err != nil {
		return err
	}
	if err := h.fits("packed streams", count, 1); err != nil {
		return err
	}
	if h.encoded {
		h.packed.pos, h.packed.streams = pos, int(min(count, 2))
	}
	for {
		id, err := h.byte()
		if err != nil {
			return err
		}
		switch id {
		case id7zEnd:
			return nil
		case id7zSize:
			end := pos
			for i := uint64(0); i < count; i++ {
				size, err := h.num()
				if err != nil {
					return err
				}
				if h.encoded && i == 0 {
					h.packed.size = size
				}
				var carry uint64
				if end, carry = bits.Add64(end, size, 0); carry != 0 || end > h.packEnd {
					return errors.New("the 7z header declares packed streams that run past the header's own position")
				}
			}
		case id7zCRC:
			if _, err := h.digests(count, nil); err != nil {
				return err
			}
		default:
			return errStop7zCheck
		}
	}
}

// digests skips a digest list for count items; when defined is not nil it
// receives the bit set of the items that have one.
func (h *hdr7z) digests(count uint64, defined *[]byte) (uint64, error) {
	all, err := h.byte()
	if err != nil {
		return 0, err
	}
	n := count
	if all == 0 {
		if err := h.fits("checksums", count, 8); err != nil {
			return 0, err
		}
		var set []byte
		if defined != nil {
			set = make([]byte, 0, (count+7)/8)
		}
		n = 0
		for i := uint64(0); i < (count+7)/8; i++ {
			b, err := h.byte()
			if err != nil {
				return 0, err
			}
			if defined != nil {
				set = append(set, b)
			}
			n += uint64(bits.OnesCount8(b))
		}
		if defined != nil {
			*defined = append([]byte{}, set...) // not nil: none is set unless marked
		}
	} else if defined != nil {
		*defined = nil // nil with all set: every item has one
	}
	if err := h.fits("checksums", n, 1); err != nil {
		return 0, err
	}
	return n, h.skip(4 * n)
}

func (h *hdr7z) unpackInfo() (folders uint64, folderCRC []byte, err error) {
	if id, err := h.byte(); err != nil || id != id7zFolder {
		return 0, nil, orStop(err)
	}
	if folders, err = h.num(); err != nil {
		return 0, nil, err
	}
	if err := h.fits("folders", folders, 2); err != nil {
		return 0, nil, err
	}
	if h.encoded && folders != 1 {
		return 0, nil, fmt.Errorf("the encoded 7z header declares %d folders instead of one", folders)
	}
	if external, err := h.byte(); err != nil || external != 0 {
		return 0, nil, orStop(err)
	}
	// The unpack sizes come after all folders: count the out streams.
	var outs uint64
	for i := uint64(0); i < folders; i++ {
		out, err := h.folder()
		if err != nil {
			return 0, nil, err
		}
		outs += out
	}
	if id, err := h.byte(); err != nil || id != id7zCodersUnpack {
		return 0, nil, orStop(err)
	}
	if err := h.fits("unpack sizes", outs, 1); err != nil {
		return 0, nil, err
	}
	for i := uint64(0); i < outs; i++ {
		size, err := h.num()
		if err != nil {
			return 0, nil, err
		}
		if h.encoded && size > max7zEncodedHeader {
			return 0, nil, fmt.Errorf("the encoded 7z header declares %d bytes once unpacked, over the %d MiB a header may take", size, max7zEncodedHeader>>20)
		}
		if h.encoded {
			h.packed.unpacked = size
		}
	}
	folderCRC = []byte{}
	for {
		id, err := h.byte()
		if err != nil {
			return 0, nil, err
		}
		switch id {
		case id7zEnd:
			return folders, folderCRC, nil
		case id7zCRC:
			if _, err := h.digests(folders, &folderCRC); err != nil {
				return 0, nil, err
			}
		default:
			return 0, nil, errStop7zCheck
		}
	}
}

// folder checks one folder (its coders and how their streams bind) and
// returns its number of out streams.
func (h *hdr7z) folder() (uint64, error) {
	coders, err := h.num()
	if err != nil {
		return 0, err
	}
	if coders == 0 || coders > max7zFolderStreams {
		return 0, fmt.Errorf("a 7z folder declares %d coders (a valid one has 1 to %d)", coders, max7zFolderStreams)
	}
	var in, out uint64
	for c := uint64(0); c < coders; c++ {
		flags, err := h.byte()
		if err != nil {
			return 0, err
		}
		if flags&0x80 != 0 {
			return 0, errStop7zCheck // alternative methods: not in use
		}
		var method []byte
		if h.encoded {
			method, err = h.bytes(uint64(flags & 0x0f))
		} else {
			err = h.skip(uint64(flags & 0x0f))
		}
		if err != nil {
			return 0, err
		}
		ci, co := uint64(1), uint64(1)
		if flags&0x10 != 0 {
			if ci, err = h.num(); err != nil {
				return 0, err
			}
			if co, err = h.num(); err != nil {
				return 0, err
			}
		}
		if ci > max7zFolderStreams || co > max7zFolderStreams {
			return 0, fmt.Errorf("a 7z coder declares %d in and %d out streams (a folder has at most %d)", ci, co, max7zFolderStreams)
		}
		in, out = in+ci, out+co
		var props []byte
		if flags&0x20 != 0 {
			size, err := h.num()
			if err != nil {
				return 0, err
			}
			if h.encoded && size <= 16 {
				props, err = h.bytes(size)
			} else {
				err = h.skip(size)
			}
			if err != nil {
				return 0, err
			}
		}
		if h.encoded {
			h.packed.coders++
			h.packed.method, h.packed.props = method, props
		}
	}
	if in > max7zFolderStreams || out > max7zFolderStreams || out == 0 || in < out {
		return 0, fmt.Errorf("a 7z folder declares %d in and %d out streams, which cannot be bound together", in, out)
	}
	bonds := out - 1
	for i := uint64(0); i < 2*bonds; i++ {
		if _, err := h.num(); err != nil {
			return 0, err
		}
	}
	if packed := in - bonds; packed > 1 {
		for i := uint64(0); i < packed; i++ {
			if _, err := h.num(); err != nil {
				return 0, err
			}
		}
	}
	return out, nil
}

// subStreams checks how many files with data each folder holds and returns
// their total.
func (h *hdr7z) subStreams(folders uint64, folderCRC []byte) (uint64, error) {
	id, err := h.byte()
	if err != nil {
		return 0, err
	}
	total, sizes, withCRC := folders, uint64(0), folders
	if id == id7zNumUnpackStream {
		total, withCRC = 0, 0
		for i := uint64(0); i < folders; i++ {
			n, err := h.num()
			if err != nil {
				return 0, err
			}
			var carry uint64
			if total, carry = bits.Add64(total, n, 0); carry != 0 || total > uint64(h.maxEntries) {
				return 0, h.tooMany("files with data", total, carry)
			}
			if n > 1 {
				sizes += n - 1
			}
			// As 7-Zip counts them: a folder holding one file whose CRC
			// the folder already declares needs no second one.
			if n != 1 || !bitSet(folderCRC, i) {
				withCRC += n
			}
			if err := h.fits("file sizes", sizes, 1); err != nil {
				return 0, err
			}
		}
		if id, err = h.byte(); err != nil {
			return 0, err
		}
	} else if folderCRC != nil {
		withCRC = 0
		for i := uint64(0); i < folders; i++ {
			if !bitSet(folderCRC, i) {
				withCRC++
			}
		}
	}
	if id == id7zSize {
		for i := uint64(0); i < sizes; i++ {
			if _, err := h.num(); err != nil {
				return 0, err
			}
		}
		if id, err = h.byte(); err != nil {
			return 0, err
		}
	}
	if id == id7zCRC {
		if _, err := h.digests(withCRC, nil); err != nil {
			return 0, err
		}
		if id, err = h.byte(); err != nil {
			return 0, err
		}
	}
	if id != id7zEnd {
		return 0, errStop7zCheck
	}
	return total, nil
}

// bitSet reports bit i (most significant first) of a 7z bit vector; a nil
// set means every bit is set, an empty one that none is.
func bitSet(set []byte, i uint64) bool {
	if set == nil {
		return true
	}
	if i/8 >= uint64(len(set)) {
		return false
	}
	return set[i/8]&(0x80>>(i%8)) != 0
}

func (h *hdr7z) filesInfo(streams uint64) error {
	files, err := h.num()
	if err != nil {
		return err
	}
	if files > uint64(h.maxEntries) {
		return h.tooMany("files", files, 0)
	}
	// Each file beyond those with data needs at least its bit in the
	// empty-stream vector.
	if files > streams && (files-streams)/8 > h.left {
		return fmt.Errorf("the 7z header declares %d files, more than its remaining %d bytes can hold (a crafted or corrupt header)", files, h.left)
	}
	return h.properties()
}

func (h *hdr7z) tooMany(what string, n, carry uint64) error {
	count := fmt.Sprint(n)
	if carry != 0 {
		count = "more than 2^64"
	}
	return &limitError{msg: fmt.Sprintf(
		"7z archive skipped: its header declares %s %s, more than the %d entries allowed (limit --max-entries; raise it only for a bundle you trust)",
		count, what, h.maxEntries)}
}

func orStop(err error) error {
	if err != nil {
		return err
	}
	return errStop7zCheck
}

// Package lzma2 decodes LZMA2, the compression inside an xz block.
//
// It exists for speed. The general-purpose pure-Go decoders keep their
// range coder in a struct behind non-inlined calls and copy every match a
// byte at a time; on the highly repetitive text of a support bundle (30-40x
// compression, so almost every output byte comes from a match) that made
// decoding three times slower than xz itself and bound a whole analysis of a
// .tar.xz. Here the range coder's bit decoding is inlined into one loop and
// matches are copied with copy, doubling the copied span when a match
// overlaps itself.
//
// The decoder is strict in the same places as xz's own (liblzma): the first
// chunk must reset the dictionary, a chunk after a dictionary reset must
// set the properties, lc+lp is at most 4, every distance lies inside the
// data decoded since the last reset and inside the declared dictionary, a
// match never runs past the end of its chunk, each compressed chunk is used
// to its last byte and leaves the range coder's code at zero, and the end
// marker is not allowed. It holds one dictionary (at least 1 MiB, more when
// the stream declares more) and one compressed chunk (at most 64 KiB) in
// memory, whatever the input.
package lzma2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrData is wrapped by every error about the data itself, as opposed to an
// error reading it.
var ErrData = errors.New("lzma2: corrupt data")

// ErrLimit is returned when the data decodes to more bytes than the limit
// given to Decode.
var ErrLimit = errors.New("lzma2: data decodes to more than its declared size")

// DictSize returns the dictionary size encoded by an xz LZMA2 filter's
// property byte, and false for a byte above 40 (xz's largest, 4 GiB - 1).
func DictSize(prop byte) (int64, bool) {
	switch {
	case prop > 40:
		return 0, false
	case prop == 40:
		return 1<<32 - 1, true
	}
	return int64(2|prop&1) << (prop/2 + 11), true
}

// minBuffer is the smallest dictionary buffer: a small dictionary would
// otherwise hand its output over a few kilobytes at a time.
const minBuffer = 1 << 20

// maxPacked is the largest compressed chunk, 16 bits of size.
const maxPacked = 1 << 16

// A Decoder decodes LZMA2 streams one after the other, reusing its
// dictionary and probabilities. It is not safe for concurrent use.
type Decoder struct {
	buf     []byte // the dictionary, used as a ring; a multiple of 16 bytes
	pos     int    // where the next byte goes in buf
	emitted int    // start of the bytes of buf not handed out yet
	full    int    // bytes of history usable as match source, at most dict
	dict    int    // the stream's declared dictionary size
	total   int64  // bytes decoded by this call of Decode
	limit   int64
	emit    func([]byte) error

	lc, lp, pb uint
	state      int
	rep        [4]int
	p          probs
	packed     [maxPacked + overrun]byte
}

// probs are the adaptive bit probabilities of the LZMA model.
type probs struct {
	isMatch    [states << maxPB]prob
	isRep      [states]prob
	isRepG0    [states]prob
	isRepG1    [states]prob
	isRepG2    [states]prob
	isRep0Long [states << maxPB]prob
	slot       [lenStates][1 << slotBits]prob
	special    [1 + fullDistances - endSlot]prob
	align      [1 << alignBits]prob
	matchLen   lenProbs
	repLen     lenProbs
	lit        [0x300 << maxLCLP]prob
}

// lenProbs are the probabilities of one length coder.
type lenProbs struct {
	choice, choice2 prob
	low             [1 << maxPB][1 << 3]prob
	mid             [1 << maxPB][1 << 3]prob
	high            [1 << 8]prob
}

type prob uint16

// The LZMA model's constants, as the format defines them.
const (
	states        = 12
	maxPB         = 4
	maxLCLP       = 4
	lenStates     = 4
	slotBits      = 6
	alignBits     = 4
	endSlot       = 14  // the first distance slot coded with direct bits
	fullDistances = 128 // 1 << (endSlot/2)
	minMatch      = 2
	probInit      = 1 << 10
)

// maxSymbolBytes is the most input one LZMA symbol can take, as xz counts
// it (LZMA_IN_REQUIRED): a chunk cut short is decoded up to where fewer
// than this many bytes are left.
const maxSymbolBytes = 21

// NewDecoder returns a decoder; its dictionary is allocated by Decode, for
// the size the stream declares.
func NewDecoder() *Decoder { return &Decoder{} }

// Decode decodes one LZMA2 stream from r, up to and including its end
// marker (a zero control byte), for a dictionary of dictSize bytes. The
// output is handed to emit in order, in pieces that are only valid during
// the call; an error from emit ends decoding and is returned. More than
// limit bytes of output is ErrLimit. Decode returns the compressed bytes
// read and the bytes decoded.
//
// The dictionary is allocated here, dictSize bytes rounded up to 16 and
// at least 1 MiB, and kept for the next stream of the same size: the
// caller bounds dictSize (an xz header may declare up to 4 GiB). r is read
// with io.ReadFull a chunk header and a chunk at a time, so a buffered
// reader is best.
//
// When the data turns out corrupt, the output of the chunks decoded
// before the failing one is handed to emit before Decode returns, as a
// decoder that emits every chunk would have: the bytes before damage are
// not lost because they still sat in the dictionary.
func (d *Decoder) Decode(r io.Reader, dictSize int64, limit int64, emit func([]byte) error) (in, out int64, err error) {
	emitFailed := false
	d.emit = func(p []byte) error {
		if err := emit(p); err != nil {
			emitFailed = true
			return err
		}
		return nil
	}
	defer func() { d.emit = nil }()
	d.pos, d.emitted = 0, 0
	in, out, err = d.decode(r, dictSize, limit)
	if err != nil && !emitFailed {
		d.flush()
	}
	return in, out, err
}

// decode is Decode once d.emit is set.
func (d *Decoder) decode(r io.Reader, dictSize int64, limit int64) (in, out int64, err error) {
	if dictSize <= 0 || dictSize > 1<<32-1 {
		return 0, 0, fmt.Errorf("%w: dictionary size %d", ErrData, dictSize)
	}
	size := max(minBuffer, (int(dictSize)+15)&^15)
	if len(d.buf) != size {
		d.buf = make([]byte, size)
	}
	d.dict, d.limit, d.total = int(dictSize), limit, 0
	d.pos, d.emitted, d.full = 0, 0, 0

	var hdr [6]byte
	needDictReset, needProps := true, true
	for {
		if _, err := io.ReadFull(r, hdr[:1]); err != nil {
			return in, d.total, readErr(err)
		}
		in++
		ctrl := hdr[0]
		if ctrl == 0 {
			return in, d.total, d.flush()
		}
		if ctrl >= 0xe0 || ctrl == 1 {
			needProps, needDictReset = true, false
			if err := d.resetDict(); err != nil {
				return in, d.total, err
			}
		} else if needDictReset {
			return in, d.total, fmt.Errorf("%w: first chunk does not reset the dictionary", ErrData)
		}
		if ctrl < 0x80 {
			if ctrl > 2 {
				return in, d.total, fmt.Errorf("%w: control byte %#x", ErrData, ctrl)
			}
			if _, err := io.ReadFull(r, hdr[:2]); err != nil {
				return in, d.total, readErr(err)
			}
			in += 2
			n := int(binary.BigEndian.Uint16(hdr[:2])) + 1
			if got, err := io.ReadFull(r, d.packed[:n]); err != nil {
				// Cut inside the chunk: its bytes that arrived are output.
				in += int64(got)
				d.stored(d.packed[:got])
				return in, d.total, readErr(err)
			}
			in += int64(n)
			if err := d.stored(d.packed[:n]); err != nil {
				return in, d.total, err
			}
			continue
		}
		k := 4
		if ctrl >= 0xc0 {
			k = 5
		}
		if _, err := io.ReadFull(r, hdr[:k]); err != nil {
			return in, d.total, readErr(err)
		}
		in += int64(k)
		unpacked := int(ctrl&0x1f)<<16 + int(binary.BigEndian.Uint16(hdr[0:2])) + 1
		packed := int(binary.BigEndian.Uint16(hdr[2:4])) + 1
		switch ctrl >> 5 & 3 {
		case 3, 2:
			if err := d.setProps(hdr[4]); err != nil {
				return in, d.total, err
			}
			needProps = false
			d.resetState()
		case 1:
			if needProps {
				return in, d.total, fmt.Errorf("%w: chunk without properties after a dictionary reset", ErrData)
			}
			d.resetState()
		default:
			if needProps {
				return in, d.total, fmt.Errorf("%w: chunk without properties after a dictionary reset", ErrData)
			}
		}
		if got, err := io.ReadFull(r, d.packed[:packed]); err != nil {
			// Cut inside the chunk: decode the symbols that the bytes
			// which arrived hold whole, as a decoder that decodes input
			// as it comes would have (the symbols after them could read
			// bytes that never came).
			in += int64(got)
			if got >= 5+maxSymbolBytes {
				clear(d.packed[got : got+overrun])
				d.chunk(d.packed[:got], unpacked, got-maxSymbolBytes)
			}
			return in, d.total, readErr(err)
		}
		in += int64(packed)
		clear(d.packed[packed : packed+overrun])
		if err := d.chunk(d.packed[:packed], unpacked, packed); err != nil {
			return in, d.total, err
		}
	}
}

// readErr makes a stream that ends early a data error.
func readErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: truncated", ErrData)
	}
	return err
}

// setProps reads the lc, lp and pb of a properties byte.
func (d *Decoder) setProps(b byte) error {
	if b > (maxPB*5+4)*9+8 {
		return fmt.Errorf("%w: properties byte %#x", ErrData, b)
	}
	lc, lp, pb := uint(b%9), uint(b/9%5), uint(b/45)
	if lc+lp > maxLCLP {
		return fmt.Errorf("%w: lc %d + lp %d above 4", ErrData, lc, lp)
	}
	d.lc, d.lp, d.pb = lc, lp, pb
	return nil
}

// resetState starts the model afresh: every probability at one half, the
// state and the repeated distances at zero.
func (d *Decoder) resetState() {
	d.state, d.rep = 0, [4]int{}
	resetProbs(d.p.lit[:0x300<<(d.lc+d.lp)])
	resetProbs(d.p.isMatch[:])
	resetProbs(d.p.isRep[:])
	resetProbs(d.p.isRepG0[:])
	resetProbs(d.p.isRepG1[:])
	resetProbs(d.p.isRepG2[:])
	resetProbs(d.p.isRep0Long[:])
	for i := range d.p.slot {
		resetProbs(d.p.slot[i][:])
	}
	resetProbs(d.p.special[:])
	resetProbs(d.p.align[:])
	for _, l := range []*lenProbs{&d.p.matchLen, &d.p.repLen} {
		l.choice, l.choice2 = probInit, probInit
		for i := range l.low {
			resetProbs(l.low[i][:])
			resetProbs(l.mid[i][:])
		}
		resetProbs(l.high[:])
	}
}

func resetProbs(p []prob) {
	for i := range p {
		p[i] = probInit
	}
}

// resetDict hands out what is pending and empties the dictionary.
func (d *Decoder) resetDict() error {
	if err := d.flush(); err != nil {
		return err
	}
	d.pos, d.emitted, d.full = 0, 0, 0
	return nil
}

// flush hands out the bytes decoded since the last flush, and wraps the
// ring when it is full.
func (d *Decoder) flush() error {
	if d.pos > d.emitted {
		if err := d.emit(d.buf[d.emitted:d.pos]); err != nil {
			return err
		}
	}
	if d.pos == len(d.buf) {
		d.pos = 0
	}
	d.emitted = d.pos
	return nil
}

// count accounts for n more bytes of output.
func (d *Decoder) count(n int) error {
	d.total += int64(n)
	if d.total > d.limit {
		return ErrLimit
	}
	return nil
}

// stored copies an uncompressed chunk into the dictionary.
func (d *Decoder) stored(b []byte) error {
	if err := d.count(len(b)); err != nil {
		return err
	}
	d.full = min(d.full+len(b), d.dict)
	for len(b) > 0 {
		if d.pos == len(d.buf) {
			if err := d.flush(); err != nil {
				return err
			}
		}
		n := copy(d.buf[d.pos:], b)
		d.pos += n
		b = b[n:]
	}
	return nil
}

package lzma2

import (
	"encoding/binary"
	"fmt"
)

// rangeDec is the range decoder of one compressed chunk. Its bit decoder
// is small enough to be inlined into chunk's loop, where it lives in local
// variables.
type rangeDec struct {
	rng, code uint32
	in        []byte // the chunk, followed by overrun zero bytes
	i         int    // next byte of in
}

// overrun is how many zero bytes follow a chunk's data: more than one
// symbol can read (about 45 bits, each reading at most a byte), so that
// the bit decoder needs no test of its own and chunk's loop tests once a
// symbol whether the data was overrun.
const overrun = 64

// normalize reads one more byte when the range got too narrow.
func (r *rangeDec) normalize() {
	if r.rng < 1<<24 {
		r.rng <<= 8
		r.code = r.code<<8 | uint32(r.in[r.i])
		r.i++
	}
}

// bit decodes one bit with probability p and adapts p.
func (r *rangeDec) bit(p *prob) int {
	r.normalize()
	bound := (r.rng >> 11) * uint32(*p)
	if r.code < bound {
		r.rng = bound
		*p += (1<<11 - *p) >> 5
		return 0
	}
	r.rng -= bound
	r.code -= bound
	*p -= *p >> 5
	return 1
}

// tree decodes a bits-bit number, most significant bit first. It is the
// decoder's hottest loop (a long match's length is an 8-bit tree), so it
// repeats bit's arithmetic on local variables, which stay in registers.
func (r *rangeDec) tree(p []prob, bits uint) int {
	rng, code, in, i := r.rng, r.code, r.in, r.i
	m := 1
	for range bits {
		if rng < 1<<24 {
			rng <<= 8
			code = code<<8 | uint32(in[i])
			i++
		}
		v := p[m]
		bound := (rng >> 11) * uint32(v)
		if code < bound {
			rng = bound
			p[m] = v + (1<<11-v)>>5
			m <<= 1
		} else {
			rng -= bound
			code -= bound
			p[m] = v - v>>5
			m = m<<1 | 1
		}
	}
	r.rng, r.code, r.i = rng, code, i
	return m - 1<<bits
}

// matched decodes a literal after a match, whose bits are predicted by
// those of match, the byte at the last distance, until they differ. Like
// tree, it works on local variables.
func (r *rangeDec) matched(lit []prob, match byte) byte {
	rng, code, in, i := r.rng, r.code, r.in, r.i
	m, offs, mb := 1, 0x100, int(match)<<1
	for m < 0x100 {
		if rng < 1<<24 {
			rng <<= 8
			code = code<<8 | uint32(in[i])
			i++
		}
		mbit := mb & offs
		mb <<= 1
		k := offs + mbit + m
		v := lit[k]
		bound := (rng >> 11) * uint32(v)
		if code < bound {
			rng = bound
			lit[k] = v + (1<<11-v)>>5
			m <<= 1
			offs &^= mbit
		} else {
			rng -= bound
			code -= bound
			lit[k] = v - v>>5
			m = m<<1 | 1
			offs = mbit
		}
	}
	r.rng, r.code, r.i = rng, code, i
	return byte(m)
}

// reverse decodes a bits-bit number, least significant bit first.
func (r *rangeDec) reverse(p []prob, bits uint) int {
	m, v := 1, 0
	for i := range bits {
		b := r.bit(&p[m])
		m = m<<1 | b
		v |= b << i
	}
	return v
}

// direct decodes bits bits of even probability.
func (r *rangeDec) direct(bits uint) int {
	v := uint32(0)
	for range bits {
		r.normalize()
		r.rng >>= 1
		r.code -= r.rng
		t := 0 - r.code>>31
		r.code += r.rng & t
		v = v<<1 + t + 1
	}
	return int(v)
}

// length decodes a match length, less minMatch.
func (r *rangeDec) length(l *lenProbs, posState int) int {
	if r.bit(&l.choice) == 0 {
		return r.tree(l.low[posState][:], 3)
	}
	if r.bit(&l.choice2) == 0 {
		return 8 + r.tree(l.mid[posState][:], 3)
	}
	return 16 + r.tree(l.high[:], 8)
}

// chunk decodes one compressed chunk of unpacked bytes from in, which is
// followed by overrun zero bytes; it stops with an error at the first
// symbol that starts past in[stop] (len(in) for a whole chunk).
func (d *Decoder) chunk(in []byte, unpacked, stop int) error {
	if len(in) < 5 || in[0] != 0 {
		return fmt.Errorf("%w: chunk does not start a range coder", ErrData)
	}
	if err := d.count(unpacked); err != nil {
		return err
	}
	end := len(in)
	rc := rangeDec{rng: 1<<32 - 1, code: binary.BigEndian.Uint32(in[1:5]), in: in[:end+overrun], i: 5}
	buf, pos, full := d.buf, d.pos, d.full
	dict := d.dict
	state, rep0, rep1, rep2, rep3 := d.state, d.rep[0], d.rep[1], d.rep[2], d.rep[3]
	pbMask, lpMask, lc := 1<<d.pb-1, 1<<d.lp-1, d.lc
	p := &d.p
	left := unpacked
	for left > 0 {
		if rc.i > stop {
			d.pos = pos // what came before is handed out (see Decode)
			return fmt.Errorf("%w: chunk's data ends early", ErrData)
		}
		if pos == len(buf) {
			d.pos = pos
			if err := d.flush(); err != nil {
				return err
			}
			pos = 0
		}
		ps := pos & pbMask
		if rc.bit(&p.isMatch[state<<maxPB|ps]) == 0 {
			var prev byte
			if pos > 0 {
				prev = buf[pos-1]
			} else if full > 0 {
				prev = buf[len(buf)-1]
			}
			lit := p.lit[0x300*((pos&lpMask)<<lc+int(prev)>>(8-lc)):][:0x300]
			if state < 7 {
				buf[pos] = byte(rc.tree(lit, 8))
			} else {
				src := pos - rep0 - 1
				if src < 0 {
					src += len(buf)
				}
				buf[pos] = rc.matched(lit, buf[src])
			}
			pos++
			left--
			if full < dict {
				full++
			}
			switch {
			case state < 4:
				state = 0
			case state < 10:
				state -= 3
			default:
				state -= 6
			}
			continue
		}
		var n int
		if rc.bit(&p.isRep[state]) == 0 {
			n = rc.length(&p.matchLen, ps)
			if state < 7 {
				state = 7
			} else {
				state = 10
			}
			rep3, rep2, rep1 = rep2, rep1, rep0
			slot := rc.tree(p.slot[min(n, lenStates-1)][:], slotBits)
			if slot < 4 {
				rep0 = slot
			} else {
				bits := uint(slot>>1 - 1)
				rep0 = (2 | slot&1) << bits
				if slot < endSlot {
					rep0 += rc.reverse(p.special[rep0-slot:], bits)
				} else {
					rep0 += rc.direct(bits-alignBits) << alignBits
					rep0 += rc.reverse(p.align[:], alignBits)
				}
			}
			if rep0 >= full {
				d.pos = pos
				if rep0 == 1<<32-1 {
					return fmt.Errorf("%w: end marker inside LZMA2", ErrData)
				}
				return fmt.Errorf("%w: distance %d beyond the %d bytes of dictionary", ErrData, rep0+1, full)
			}
		} else {
			if full == 0 {
				d.pos = pos
				return fmt.Errorf("%w: repeated match in an empty dictionary", ErrData)
			}
			if rc.bit(&p.isRepG0[state]) == 0 {
				if rc.bit(&p.isRep0Long[state<<maxPB|ps]) == 0 {
					// A short repeat: one byte from the last distance.
					if state < 7 {
						state = 9
					} else {
						state = 11
					}
					src := pos - rep0 - 1
					if src < 0 {
						src += len(buf)
					}
					buf[pos] = buf[src]
					pos++
					left--
					if full < dict {
						full++
					}
					continue
				}
			} else {
				var dist int
				if rc.bit(&p.isRepG1[state]) == 0 {
					dist = rep1
				} else {
					if rc.bit(&p.isRepG2[state]) == 0 {
						dist = rep2
					} else {
						dist, rep3 = rep3, rep2
					}
					rep2 = rep1
				}
				rep1, rep0 = rep0, dist
			}
			n = rc.length(&p.repLen, ps)
			if state < 7 {
				state = 8
			} else {
				state = 11
			}
		}
		n += minMatch
		if n > left {
			d.pos = pos
			return fmt.Errorf("%w: match runs past the end of its chunk", ErrData)
		}
		left -= n
		full = min(full+n, dict)
		src := pos - rep0 - 1
		if src < 0 {
			src += len(buf)
		}
		for n > 0 {
			if pos == len(buf) {
				d.pos = pos
				if err := d.flush(); err != nil {
					return err
				}
				pos = 0
			}
			k := min(n, len(buf)-pos, len(buf)-src)
			if src < pos && pos-src < k {
				// The match overlaps itself: what is copied repeats with
				// period pos-src, so the span copied doubles each time.
				end := pos + k
				for pos < end {
					pos += copy(buf[pos:end], buf[src:pos])
				}
			} else {
				copy(buf[pos:pos+k], buf[src:src+k])
				pos += k
			}
			src += k
			if src == len(buf) {
				src = 0
			}
			n -= k
		}
	}
	d.pos, d.full, d.state = pos, full, state
	d.rep = [4]int{rep0, rep1, rep2, rep3}
	rc.normalize()
	if rc.i != end || rc.code != 0 {
		return fmt.Errorf("%w: chunk's compressed size does not match its data", ErrData)
	}
	return nil
}

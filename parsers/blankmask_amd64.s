//go:build amd64 && !purego

#include "textflag.h"

// BLANKS sets the low 16 bits of BX to the blanks of the 16 bytes at
// addr: X1 holds sixteen spaces, X2 sixteen tabs; X0 and X3 are scratch.
#define BLANKS(addr) \
	MOVOU	addr, X0 \
	MOVOU	X0, X3 \
	PCMPEQB	X1, X0 \
	PCMPEQB	X2, X3 \
	POR	X3, X0 \
	PMOVMSKB	X0, BX

// func blankMaskN(p *byte, n int) (lo, hi uint64)
//
// Bit i of the 128-bit result (lo, then hi) is set when byte i of the n
// bytes at p is a space or a tab; 16 <= n <= 128. The whole blocks of 16
// bytes are compared where they lie, and the last n%16 bytes as the end
// of the 16 bytes before p+n, whose first bits (bytes already compared)
// are shifted out: no byte outside the n is read, and none is copied.
// SSE2 only: every amd64 has it.
TEXT ·blankMaskN(SB), NOSPLIT, $0-32
	MOVQ	p+0(FP), SI
	MOVQ	n+8(FP), R8
	MOVQ	$0x2020202020202020, R10
	MOVQ	R10, X1
	PUNPCKLQDQ	X1, X1
	MOVQ	$0x0909090909090909, R10
	MOVQ	R10, X2
	PUNPCKLQDQ	X2, X2
	XORQ	AX, AX
	XORQ	R9, R9
	XORQ	DX, DX

block:
	LEAQ	16(DX), R10
	CMPQ	R10, R8
	JHI	tail
	BLANKS((SI)(DX*1))
	// Or the 16 bits into the mask (AX low, R9 high) at bit DX.
	MOVQ	DX, CX
	CMPQ	CX, $64
	JAE	blockhi
	SHLQ	CX, BX
	ORQ	BX, AX
	MOVQ	R10, DX
	JMP	block
blockhi:
	SUBQ	$64, CX
	SHLQ	CX, BX
	ORQ	BX, R9
	MOVQ	R10, DX
	JMP	block

tail:
	CMPQ	DX, R8
	JAE	done
	BLANKS(-16(SI)(R8*1))
	// Keep the last n-DX bits: shift out DX+16-n.
	LEAQ	16(DX), CX
	SUBQ	R8, CX
	SHRQ	CX, BX
	MOVQ	DX, CX
	CMPQ	CX, $64
	JAE	tailhi
	SHLQ	CX, BX
	ORQ	BX, AX
	JMP	done
tailhi:
	SUBQ	$64, CX
	SHLQ	CX, BX
	ORQ	BX, R9

done:
	MOVQ	AX, lo+16(FP)
	MOVQ	R9, hi+24(FP)
	RET

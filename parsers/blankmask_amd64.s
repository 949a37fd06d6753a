//go:build amd64 && !purego

#include "textflag.h"

// BLANKS sets the low 16 bits of reg to the blanks of the 16 bytes at
// off(SI): X1 holds sixteen spaces, X2 sixteen tabs; x and y are scratch.
#define BLANKS(off, x, y, reg) \
	MOVOU	off(SI), x \
	MOVOU	x, y \
	PCMPEQB	X1, x \
	PCMPEQB	X2, y \
	POR	y, x \
	PMOVMSKB	x, reg

// func blankBlocks8(p *byte) (lo, hi uint64)
//
// Bit 16k+j of the 128-bit result (lo, then hi) is set when byte j of the
// k-th 16 bytes at p is a space or a tab. SSE2 only: every amd64 has it.
TEXT ·blankBlocks8(SB), NOSPLIT, $0-24
	MOVQ	p+0(FP), SI
	MOVQ	$0x2020202020202020, R8
	MOVQ	R8, X1
	PUNPCKLQDQ	X1, X1
	MOVQ	$0x0909090909090909, R8
	MOVQ	R8, X2
	PUNPCKLQDQ	X2, X2

	BLANKS(0, X0, X3, AX)
	BLANKS(16, X4, X5, BX)
	BLANKS(32, X6, X7, CX)
	BLANKS(48, X8, X9, DX)
	SHLQ	$16, BX
	SHLQ	$32, CX
	SHLQ	$48, DX
	ORQ	BX, AX
	ORQ	CX, AX
	ORQ	DX, AX

	BLANKS(64, X0, X3, R9)
	BLANKS(80, X4, X5, BX)
	BLANKS(96, X6, X7, CX)
	BLANKS(112, X8, X9, DX)
	SHLQ	$16, BX
	SHLQ	$32, CX
	SHLQ	$48, DX
	ORQ	BX, R9
	ORQ	CX, R9
	ORQ	DX, R9

	MOVQ	AX, lo+8(FP)
	MOVQ	R9, hi+16(FP)
	RET

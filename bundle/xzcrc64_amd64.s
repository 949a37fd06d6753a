#include "textflag.h"

// func crc64Fold(a0, a1 uint64, p []byte, k *[2]uint64) (r0, r1 uint64)
//
// Folds the 16-byte blocks of p (its length a multiple of 16) into the
// 128-bit accumulator a1:a0 (see xzcrc64.go): for each block B,
// A = clmul(lo(A), k[0]) ^ clmul(hi(A), k[1]) ^ B.
TEXT ·crc64Fold(SB), NOSPLIT, $0-64
	MOVQ a0+0(FP), AX
	MOVQ AX, X0
	MOVQ a1+8(FP), AX
	MOVQ AX, X1
	PUNPCKLQDQ X1, X0
	MOVQ p_base+16(FP), SI
	MOVQ p_len+24(FP), CX
	MOVQ k+40(FP), AX
	MOVOU (AX), X2

loop:
	CMPQ CX, $16
	JB   done
	MOVOU X0, X3
	PCLMULQDQ $0x00, X2, X0
	PCLMULQDQ $0x11, X2, X3
	PXOR X3, X0
	MOVOU (SI), X4
	PXOR X4, X0
	ADDQ $16, SI
	SUBQ $16, CX
	JMP  loop

done:
	MOVQ X0, AX
	MOVQ AX, r0+48(FP)
	PSRLDQ $8, X0
	MOVQ X0, AX
	MOVQ AX, r1+56(FP)
	RET

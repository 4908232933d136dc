// Written by hand (blamka_amd64.s is generated).

//go:build amd64 && gc && !purego

#include "textflag.h"

// func prefetchBlock(b *block)
// PREFETCHNTA each of the block's sixteen 64-byte lines.
TEXT ·prefetchBlock(SB), NOSPLIT, $0-8
	MOVQ        b+0(FP), AX
	PREFETCHNTA 0(AX)
	PREFETCHNTA 64(AX)
	PREFETCHNTA 128(AX)
	PREFETCHNTA 192(AX)
	PREFETCHNTA 256(AX)
	PREFETCHNTA 320(AX)
	PREFETCHNTA 384(AX)
	PREFETCHNTA 448(AX)
	PREFETCHNTA 512(AX)
	PREFETCHNTA 576(AX)
	PREFETCHNTA 640(AX)
	PREFETCHNTA 704(AX)
	PREFETCHNTA 768(AX)
	PREFETCHNTA 832(AX)
	PREFETCHNTA 896(AX)
	PREFETCHNTA 960(AX)
	RET

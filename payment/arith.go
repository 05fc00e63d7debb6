package payment

import (
	"math/big"
	"math/bits"
)

// mulDiv returns a×b/c rounded half away from zero, exactly (128-bit intermediate, big.Int
// beyond). c must not be zero. All money products in this package go through it, so that
// each amount is rounded once, to the fen.
func mulDiv(a, b, c int64) int64 {
	neg := (a < 0) != (b < 0) != (c < 0)
	ua, ub, uc := abs(a), abs(b), abs(c)
	hi, lo := bits.Mul64(ua, ub)
	if hi < uc {
		q, r := bits.Div64(hi, lo, uc)
		if r >= uc-r { // r*2 >= uc without overflow
			q++
		}
		if q <= 1<<62 {
			if neg {
				return -int64(q)
			}
			return int64(q)
		}
	}
	x := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	den := big.NewInt(c)
	q, r := new(big.Int).QuoRem(x, den, new(big.Int))
	if r.Abs(r).Lsh(r, 1).Cmp(new(big.Int).Abs(den)) >= 0 {
		if x.Sign()*den.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}

func abs(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}

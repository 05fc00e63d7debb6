package yibao

import (
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// Fen is an amount of money in fen (0.01 yuan). All sums are integer sums of Fen:
// no float ever touches money.
type Fen int64

// ParseYuan converts a decimal yuan amount ("12874.5", "-3", "0.01") to Fen exactly.
// More than two decimals is an error, not a rounding: the settlement format says amounts
// carry at most two, so a third digit means the sender computed something we must not guess.
func ParseYuan(s string) (Fen, error) {
	v, err := parseScaled(s, 2, false)
	return Fen(v), err
}

// String renders yuan with exactly two decimals.
func (f Fen) String() string { return formatScaled(int64(f), 2) }

// Yuan is for display and statistics only (never summed back into money).
func (f Fen) Yuan() float64 { return float64(f) / 100 }

// Dec6 is a fixed-point decimal with six fractional digits, used for quantities and unit
// prices, which the national interface allows to carry more than two decimals.
type Dec6 int64

// Dec6Scale is the integer value of 1 in Dec6.
const Dec6Scale = 1_000_000

// ParseDec6 converts a decimal string to Dec6. Digits beyond the sixth decimal are rounded
// half away from zero (documented in docs/formats.md).
func ParseDec6(s string) (Dec6, error) {
	v, err := parseScaled(s, 6, true)
	return Dec6(v), err
}

func (d Dec6) String() string {
	s := formatScaled(int64(d), 6)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Float is for display and statistics only.
func (d Dec6) Float() float64 { return float64(d) / Dec6Scale }

// MulFen returns q × p rounded half away from zero to the fen, computed exactly.
func MulFen(q, p Dec6) Fen {
	neg := (q < 0) != (p < 0)
	aq, ap := uint64(q), uint64(p)
	if q < 0 {
		aq = uint64(-q)
	}
	if p < 0 {
		ap = uint64(-p)
	}
	const div = 10_000_000_000 // scale 1e12 → 1e2
	if hi, lo := bits.Mul64(aq, ap); hi < div {
		quo, rem := bits.Div64(hi, lo, div)
		if rem*2 >= div {
			quo++
		}
		if quo <= 1<<62 {
			if neg {
				return -Fen(quo)
			}
			return Fen(quo)
		}
	}
	return mulFenBig(q, p)
}

func mulFenBig(q, p Dec6) Fen {
	prod := new(big.Int).Mul(big.NewInt(int64(q)), big.NewInt(int64(p))) // scale 1e12
	div := big.NewInt(10_000_000_000)                                    // to scale 1e2
	quo, rem := new(big.Int).QuoRem(prod, div, new(big.Int))
	rem.Abs(rem).Mul(rem, big.NewInt(2))
	if rem.Cmp(div) >= 0 {
		if prod.Sign() < 0 {
			quo.Sub(quo, big.NewInt(1))
		} else {
			quo.Add(quo, big.NewInt(1))
		}
	}
	if !quo.IsInt64() {
		return Fen(int64(^uint64(0) >> 1))
	}
	return Fen(quo.Int64())
}

// ErrNumberSyntax reports text that is not a decimal number at all (as opposed to one
// out of range or with too many decimals).
var ErrNumberSyntax = errors.New("not a decimal number")

// ParseYuanBytes is ParseYuan for a byte slice, without allocating.
func ParseYuanBytes(b []byte) (Fen, error) {
	v, err := parseScaled(b, 2, false)
	return Fen(v), err
}

// ParseDec6Bytes is ParseDec6 for a byte slice, without allocating.
func ParseDec6Bytes(b []byte) (Dec6, error) {
	v, err := parseScaled(b, 6, true)
	return Dec6(v), err
}

// parseScaled reads an optionally signed decimal (exponents allowed) as an integer count
// of 10^-scale units. Extra decimals are an error unless round, which rounds half away
// from zero.
func parseScaled[T string | []byte](s T, scale int, round bool) (int64, error) {
	if len(s) == 0 {
		return 0, ErrNumberSyntax
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 'e' || s[i] == 'E' {
			return parseExp(string(s), neg, scale, round)
		}
	}
	var v uint64
	digitsSeen, fracDigits := 0, 0
	dot := false
	roundUp := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && !dot:
			dot = true
		case c >= '0' && c <= '9':
			digitsSeen++
			if dot {
				fracDigits++
				if fracDigits > scale {
					if c != '0' && !round {
						return 0, fmt.Errorf("more than %d decimals", scale)
					}
					if fracDigits == scale+1 && c >= '5' {
						roundUp = round
					}
					continue
				}
			}
			if v > (1<<62)/10 {
				return 0, errors.New("number out of range")
			}
			v = v*10 + uint64(c-'0')
		default:
			return 0, ErrNumberSyntax
		}
	}
	if digitsSeen == 0 {
		return 0, ErrNumberSyntax
	}
	for ; fracDigits < scale; fracDigits++ {
		if v > (1<<62)/10 {
			return 0, errors.New("number out of range")
		}
		v *= 10
	}
	if roundUp {
		v++
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

// parseExp handles JSON exponent notation (1.5e2) exactly through big.Rat.
func parseExp(s string, neg bool, scale int, round bool) (int64, error) {
	// An exponent beyond ±40 is out of range for any amount; refusing it before big.Rat
	// keeps "1e999999999" from computing a billion-digit power of ten.
	_, exp, _ := strings.Cut(strings.ToLower(s), "e")
	if e, err := strconv.Atoi(exp); err != nil || e > 40 || e < -40 {
		return 0, errors.New("number out of range")
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, ErrNumberSyntax
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	if !r.IsInt() && !round {
		return 0, fmt.Errorf("more than %d decimals", scale)
	}
	f := r.FloatString(0) // rounds half away from zero
	v, err := strconv.ParseInt(f, 10, 64)
	if err != nil || len(f) > 18 {
		return 0, errors.New("number out of range")
	}
	if neg {
		v = -v
	}
	return v, nil
}

func formatScaled(v int64, scale int) string {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	s := strconv.FormatUint(u, 10)
	if len(s) <= scale {
		s = strings.Repeat("0", scale-len(s)+1) + s
	}
	out := s[:len(s)-scale] + "." + s[len(s)-scale:]
	if neg {
		out = "-" + out
	}
	return out
}

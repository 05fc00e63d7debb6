package web

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Password policy (docs/security.md; local choices following NIST SP 800-63B §5.1.1.2):
// at least minPasswordRunes characters, at most bcrypt's 72 bytes, not only whitespace,
// not a common password (passwords/common.txt, also with digits or symbols around it), not
// one short unit repeated, not a run of consecutive characters, not the user name.
const (
	minPasswordRunes = 12
	maxPasswordBytes = 72 // bcrypt uses the first 72 bytes and nothing after them
)

//go:embed passwords/common.txt
var commonPasswordFile []byte

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(commonPasswordFile))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// PasswordProblem is why a password is refused, in Chinese and English.
type PasswordProblem struct{ ZH, EN string }

func (p PasswordProblem) Error() string { return p.EN + " (" + p.ZH + ")" }

// CheckPassword applies the password policy; username may be empty.
func CheckPassword(pw, username string) error {
	switch {
	case !utf8.ValidString(pw):
		return PasswordProblem{"密码不是有效的 UTF-8 文本", "the password is not valid UTF-8 text"}
	case strings.TrimSpace(pw) == "":
		return PasswordProblem{"密码不能只有空白", "a password cannot be only whitespace"}
	case utf8.RuneCountInString(pw) < minPasswordRunes:
		return PasswordProblem{fmt.Sprintf("密码至少 %d 个字符", minPasswordRunes), fmt.Sprintf("a password needs at least %d characters", minPasswordRunes)}
	case len(pw) > maxPasswordBytes:
		return PasswordProblem{fmt.Sprintf("密码最多 %d 字节（一个汉字占 3 字节）", maxPasswordBytes),
			fmt.Sprintf("a password may have at most %d bytes (a Chinese character takes 3)", maxPasswordBytes)}
	}
	lower := strings.ToLower(pw)
	core := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	if commonPasswords[lower] || commonPasswords[core] || commonPasswords[strings.TrimFunc(lower, unicode.IsSpace)] {
		return PasswordProblem{"这是常见密码，容易被猜中", "this is a common password and easily guessed"}
	}
	if username != "" && strings.Contains(lower, strings.ToLower(username)) {
		return PasswordProblem{"密码不能包含用户名", "a password cannot contain the user name"}
	}
	if repeated(lower) || consecutive(lower) {
		return PasswordProblem{"密码不能是重复或连续的字符", "a password cannot be a repeated or consecutive run of characters"}
	}
	return nil
}

// repeated reports whether s is one unit of up to 4 characters repeated.
func repeated(s string) bool {
	r := []rune(s)
	for unit := 1; unit <= 4 && unit < len(r); unit++ {
		if len(r)%unit != 0 {
			continue
		}
		same := true
		for i := unit; i < len(r) && same; i++ {
			same = r[i] == r[i-unit]
		}
		if same {
			return true
		}
	}
	return false
}

// consecutive reports whether s runs up or down by one at every step (1234567890…,
// abcdef…), digits wrapping from 9 to 0.
func consecutive(s string) bool {
	r := []rune(s)
	for _, step := range []rune{1, -1} {
		ok := true
		for i := 1; i < len(r) && ok; i++ {
			d := r[i] - r[i-1]
			wrap := unicode.IsDigit(r[i]) && unicode.IsDigit(r[i-1]) && (d == -9*step)
			ok = d == step || wrap
		}
		if ok {
			return true
		}
	}
	return false
}

// ValidUsername reports whether a user name is in the safe set: 1–32 characters of a–z,
// 0–9, ".", "_" and "-", starting with a letter or digit (no spaces, no newlines, no look-
// alikes: a name printed in `user list` or the audit log is what it seems).
func ValidUsername(name string) bool {
	if len(name) == 0 || len(name) > 32 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !letter && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// ErrUsername explains the user name rule.
var ErrUsername = errors.New("a user name is 1–32 characters of a–z, 0–9, '.', '_' and '-', starting with a letter or digit (用户名须为 1–32 个小写字母、数字或 . _ -)")

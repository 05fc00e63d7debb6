package yibao

import "fmt"

// MaxIDLen bounds identifiers and codes (local choice: the national ids are 20–30
// characters; 64 leaves room without letting one field carry a payload).
const MaxIDLen = 64

// IDCharset names, for messages and docs, the characters an identifier may use.
const IDCharset = "A–Z a–z 0–9 . _ -"

// ValidID reports whether s may be an identifier or code that yibao stores, shows and
// uses in file names: setl_id, mdtrt_id, fixmedins_code, feedetl_sn, registry codes,
// department, doctor and list codes. 1–MaxIDLen characters of IDCharset, not starting with
// a dot (so that an id never becomes "." or ".." or a hidden file). Every string from data
// is hostile: this keeps markup, quotes, path separators and control characters out of ids
// at the door (docs/formats.md, "Identifiers").
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// FileName is code+ext as the name of a file inside a directory, or an error when code is
// not a ValidID: codes from data become file names (a report per hospital) and must never
// name another directory ("../../tmp/x") or a hidden file.
func FileName(code, ext string) (string, error) {
	if !ValidID(code) {
		return "", fmt.Errorf("code %q cannot be a file name: 1–%d characters of %s, not starting with a dot", code, MaxIDLen, IDCharset)
	}
	return code + ext, nil
}

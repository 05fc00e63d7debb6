// Package hisauth authenticates hospital information systems (HIS) calling the online audit
// interfaces 3101/3102/3103. A HIS signs each message with a per-hospital shared secret in
// the national envelope's own signature fields (`signtype`, `cainfo`; see
// ../shared/formats/nhsa-3101.md), so that its message shape does not change.
//
// The scheme (docs/security.md, "HIS signatures"):
//
//	signtype  = "HMAC-SHA256"
//	cainfo    = key_id ":" lowercase hex(HMAC-SHA256(secret, canonical))
//	canonical = infno "\n" msgid "\n" fixmedins_code "\n" inf_time "\n" lowercase hex(SHA-256(input))
//
// where secret is the credential's secret string as printed by `yibao his add` (its ASCII
// bytes are the HMAC key), infno is the interface called (3101, 3102 or 3103), the other
// envelope fields are their JSON string values (empty when absent), and input is the exact
// bytes of the envelope's "input" member as sent (whitespace and key order included). SM2/SM3
// certificates (`signtype` SM2/SM3) are not implemented.
package hisauth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// SignType is the value of the envelope's signtype field for this scheme.
const SignType = "HMAC-SHA256"

// Canonical is the string a HIS signs.
func Canonical(infno, msgid, hospital, infTime string, input []byte) []byte {
	sum := sha256.Sum256(input)
	var b strings.Builder
	for _, s := range []string{infno, msgid, hospital, infTime} {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	b.WriteString(hex.EncodeToString(sum[:]))
	return []byte(b.String())
}

// Sign returns the lowercase hex HMAC-SHA256 of canonical under secret.
func Sign(secret string, canonical []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(canonical)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify compares a signature in constant time.
func Verify(secret string, canonical []byte, sig string) bool {
	want := Sign(secret, canonical)
	return hmac.Equal([]byte(want), []byte(strings.ToLower(sig)))
}

// ParseCAInfo splits cainfo into the key id and the signature.
func ParseCAInfo(cainfo string) (keyID, sig string, ok bool) {
	keyID, sig, ok = strings.Cut(cainfo, ":")
	if !ok || keyID == "" || len(sig) != 64 {
		return "", "", false
	}
	return keyID, sig, true
}

// NewKeyID returns a fresh public key id.
func NewKeyID() string {
	b := make([]byte, 9)
	rand.Read(b)
	return "his_" + hex.EncodeToString(b)
}

// NewSecret returns a fresh secret: 32 random bytes, base64url without padding.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Sealer protects stored secrets with AES-256-GCM under a key derived from a master key
// kept outside the database, the credential's key id being the additional data (a sealed
// secret copied onto another key id does not open).
type Sealer struct{ aead cipher.AEAD }

// NewSealer derives the sealing key from master (at least 16 bytes).
func NewSealer(master []byte) (*Sealer, error) {
	if len(master) < 16 {
		return nil, errors.New("hisauth: the master key needs at least 16 bytes")
	}
	m := hmac.New(sha256.New, master)
	m.Write([]byte("yibao/his-credential-seal/v1"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts a secret for storage.
func (s *Sealer) Seal(keyID, secret string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, []byte(secret), []byte(keyID))
}

// Open decrypts a stored secret.
func (s *Sealer) Open(keyID string, sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("hisauth: sealed secret too short")
	}
	b, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(keyID))
	if err != nil {
		return "", fmt.Errorf("hisauth: credential %s does not open with this key file (was the key replaced?)", keyID)
	}
	return string(b), nil
}

// SignRequest signs an envelope for a HIS client (and for tests and the demo): it reads
// the fields that are signed, then puts "signtype" and "cainfo" in front of the others,
// leaving every other byte of body as it was. The path's infno is the one signed.
func SignRequest(body []byte, infno, keyID, secret string) ([]byte, error) {
	var env struct {
		MsgID         string          `json:"msgid"`
		FixmedinsCode string          `json:"fixmedins_code"`
		InfTime       string          `json:"inf_time"`
		Input         json.RawMessage `json:"input"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	trimmed := strings.TrimLeft(string(body), " \t\r\n")
	if !strings.HasPrefix(trimmed, "{") {
		return nil, errors.New("sign: the envelope is not a JSON object")
	}
	sig := Sign(secret, Canonical(infno, env.MsgID, env.FixmedinsCode, env.InfTime, env.Input))
	head, _ := json.Marshal(map[string]string{"signtype": SignType, "cainfo": keyID + ":" + sig})
	rest := strings.TrimLeft(trimmed[1:], " \t\r\n")
	if strings.HasPrefix(rest, "}") {
		return []byte(string(head[:len(head)-1]) + rest), nil
	}
	return []byte(string(head[:len(head)-1]) + "," + rest), nil
}

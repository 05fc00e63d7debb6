package ingest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
)

// KeyEnv names the environment variable that can supply the pseudonymisation key (hex).
const KeyEnv = "YIBAO_PSEUDONYM_KEY"

// KeyFileEnv names the environment variable that can place the key file outside the data
// directory, so that a backup of the directory cannot re-identify anyone (docs/security.md).
const KeyFileEnv = "YIBAO_KEY_FILE"

// keyFile is the key's name inside the data directory.
const keyFile = "pseudonym.key"

// KeyPath is where the key file of a data directory is: $YIBAO_KEY_FILE, else
// dir/pseudonym.key. ($YIBAO_PSEUDONYM_KEY, when set, supplies the key itself.)
func KeyPath(dir string) string {
	if p := strings.TrimSpace(os.Getenv(KeyFileEnv)); p != "" {
		return p
	}
	return filepath.Join(dir, keyFile)
}

// Pseudonymiser turns personal identifiers into keyed HMAC-SHA256 pseudonyms. The same
// identifier maps to the same pseudonym for as long as the key is kept, across files and
// runs; without the key a pseudonym cannot be linked back to a person.
type Pseudonymiser struct {
	key []byte
}

// NewPseudonymiser uses key as the HMAC key; it must be at least 16 bytes.
func NewPseudonymiser(key []byte) (*Pseudonymiser, error) {
	if len(key) < 16 {
		return nil, errors.New("pseudonymisation key must be at least 16 bytes")
	}
	return &Pseudonymiser{key: append([]byte(nil), key...)}, nil
}

// Person returns the pseudonym of an insured-person number (psn_no), as ingest stores it.
// It is safe for concurrent use.
func (p *Pseudonymiser) Person(psnNo string) string { return pseudonym(p.hasher(), "psn", psnNo) }

// hasher is per worker: an HMAC is not safe for concurrent use.
func (p *Pseudonymiser) hasher() hash.Hash { return hmac.New(sha256.New, p.key) }

// pseudonym returns the first 128 bits of HMAC(key, kind ":" value) in hex. The kind keeps
// an insured-person number and an ID number that happen to be equal from colliding.
func pseudonym(h hash.Hash, kind, value string) string {
	if value == "" {
		return ""
	}
	h.Reset()
	h.Write([]byte(kind))
	h.Write([]byte{':'})
	h.Write([]byte(value))
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// LoadOrCreateKey returns the key from $YIBAO_PSEUDONYM_KEY (hex) or from KeyPath(dir),
// creating the file with mode 0600 (its directory 0700) on first use.
func LoadOrCreateKey(dir string) ([]byte, error) {
	if env := strings.TrimSpace(os.Getenv(KeyEnv)); env != "" {
		k, err := hex.DecodeString(env)
		if err != nil || len(k) < 16 {
			return nil, fmt.Errorf("%s must be at least 32 hex digits", KeyEnv)
		}
		return k, nil
	}
	path := KeyPath(dir)
	if b, err := os.ReadFile(path); err == nil {
		// A key file made before issue 10 may be 0644: with it, anyone on the machine can
		// re-identify every pseudonym.
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, fi.Mode().Perm()&^0o077); err != nil {
				return nil, fmt.Errorf("pseudonymisation key %s is readable by others and cannot be made private: %w", path, err)
			}
		}
		k, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) < 16 {
			return nil, fmt.Errorf("pseudonymisation key %s is corrupt", path)
		}
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read pseudonymisation key: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process won the race: use its key
			return LoadOrCreateKey(dir)
		}
		return nil, fmt.Errorf("create pseudonymisation key: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(hex.EncodeToString(k) + "\n"); err != nil {
		return nil, err
	}
	return k, f.Sync()
}

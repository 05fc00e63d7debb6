// Package schemecache loads DRG scheme files through a cache of compiled images, keyed by
// the SHA-256 of the scheme file's bytes. Compiling a 2.5 MB city scheme from JSON takes
// about 0.1 s; reading its compiled image takes about 10 ms. The cache lives in the user's
// cache directory (never beside the scheme: reference data such as ../shared is read-only),
// and a missing, unreadable, damaged or stale image only costs a recompilation.
package schemecache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/yibao-dev/yibao/grouper"
)

// Off as the directory disables the cache.
const Off = "off"

// Info says how a scheme was loaded.
type Info struct {
	Digest string // SHA-256 of the scheme file (hex)
	Cached bool   // read from a compiled image
	Image  string // path of the image read or written; empty when none
	// WriteErr is why a fresh image could not be stored (the load itself succeeded).
	WriteErr error
}

// DefaultDir is $YIBAO_SCHEME_CACHE when set (a directory, or "off"), else
// <user cache dir>/yibao/drg-schemes; "off" when no user cache directory is known.
func DefaultDir() string {
	if d := os.Getenv("YIBAO_SCHEME_CACHE"); d != "" {
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return Off
	}
	return filepath.Join(base, "yibao", "drg-schemes")
}

// Load reads the scheme at path. With dir not Off it first looks for the compiled image
// <dir>/<sha256>-<build>.bin and, failing that, compiles the JSON and stores the image
// there (atomically: a reader never sees half an image), removing images of the same
// scheme made by other builds. <build> identifies the running executable (its size and
// modification time): the image format tag inside already changes with the compiled
// representation, and keying by build as well means a rebuilt grouper never trusts an
// image an older build wrote, even if someone forgot to change the tag.
func Load(path, dir string) (*grouper.Scheme, Info, error) {
	var info Info
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, info, fmt.Errorf("load scheme %s: %w", path, err)
	}
	sum := sha256.Sum256(b)
	info.Digest = hex.EncodeToString(sum[:])
	if dir == "" {
		dir = DefaultDir()
	}
	if dir != Off {
		info.Image = filepath.Join(dir, info.Digest+"-"+buildStamp()+".bin")
		if img, err := os.ReadFile(info.Image); err == nil {
			// The digest inside must match too: a renamed or copied image is not trusted.
			if s, err := grouper.ParseCompiled(img); err == nil && s.Digest == info.Digest {
				info.Cached = true
				return s, info, nil
			}
		}
	}
	s, err := grouper.Parse(b)
	if err != nil {
		return nil, info, fmt.Errorf("load scheme %s: %w", path, err)
	}
	if dir != Off {
		info.WriteErr = write(dir, info.Image, s.MarshalCompiled())
		if info.WriteErr != nil {
			info.Image = ""
		} else {
			// Images of this scheme from other builds are dead weight now.
			old, _ := filepath.Glob(filepath.Join(dir, info.Digest+"-*.bin"))
			for _, o := range old {
				if o != info.Image {
					os.Remove(o)
				}
			}
		}
	}
	return s, info, nil
}

// buildStamp names the running executable's build: a short hash of its path, size and
// modification time ("unknown" when the executable cannot be found).
func buildStamp() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	st, err := os.Stat(exe)
	if err != nil {
		return "unknown"
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d\x00%d", exe, st.Size(), st.ModTime().UnixNano())))
	return hex.EncodeToString(sum[:8])
}

func write(dir, path string, img []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(img)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

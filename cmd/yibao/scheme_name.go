package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/grouper/schemecache"
	"github.com/yibao-dev/yibao/schemes"
)

// One way to name a DRG scheme for every command (issue 15): a built-in name ("demo", or
// the built-in scheme's id yibao-demo-drg) or the path of a scheme file. Commands that
// read stored groupings also accept the id of a scheme cases were grouped with before
// (e.g. chs-drg-1.1), since the store keys groupings by scheme id.
const schemeFlagHelp = "DRG scheme: a scheme file path, or \"demo\" for the built-in demo scheme"

// loadedScheme is a scheme with how it was loaded, for summaries.
type loadedScheme struct {
	*grouper.Scheme
	Source  string  // "builtin" or the path
	Cached  bool    // read from the compiled-image cache
	Seconds float64 // load time
}

// openScheme loads the scheme name refers to. Files go through the compiled-image cache
// (YIBAO_SCHEME_CACHE: a directory, or "off").
func openScheme(e *env, name string) (*loadedScheme, error) {
	if name == "" {
		return nil, usageError{msg: "--scheme is required (" + schemeFlagHelp + ")"}
	}
	t0 := time.Now()
	if text, ok := schemes.Builtin(name); ok {
		s, err := grouper.Parse(text)
		if err != nil {
			return nil, fmt.Errorf("built-in scheme %s: %w", name, err)
		}
		return &loadedScheme{Scheme: s, Source: "builtin", Seconds: time.Since(t0).Seconds()}, nil
	}
	if _, err := os.Stat(name); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("scheme %q: no such file, and not a built-in scheme (built-in: %s)", name, strings.Join(schemes.BuiltinNames(), ", "))
		}
		return nil, fmt.Errorf("scheme %q: %w", name, err)
	}
	dir := ""
	if e.getenv != nil {
		dir = e.getenv("YIBAO_SCHEME_CACHE")
	}
	if dir == "" {
		dir = schemecache.DefaultDir()
	}
	s, info, err := schemecache.Load(name, dir)
	if err != nil {
		return nil, err
	}
	return &loadedScheme{Scheme: s, Source: name, Cached: info.Cached, Seconds: time.Since(t0).Seconds()}, nil
}

// schemeIDOf turns a --scheme value of a command that reads stored groupings into the
// scheme id the store keys them by: a built-in name or a scheme file gives its id;
// anything else is taken as an id already (an error if it looks like a missing file).
func schemeIDOf(e *env, name string) (string, error) {
	if name == "" {
		return "", usageError{msg: "--scheme is required (" + schemeFlagHelp + ", or the id of stored groupings)"}
	}
	if _, ok := schemes.Builtin(name); ok {
		return schemes.DemoID, nil
	}
	if _, err := os.Stat(name); err == nil {
		s, err := openScheme(e, name)
		if err != nil {
			return "", err
		}
		return s.ID, nil
	}
	if strings.ContainsAny(name, `/\`) || strings.HasSuffix(name, ".json") {
		return "", fmt.Errorf("scheme %q: no such file", name)
	}
	return name, nil
}

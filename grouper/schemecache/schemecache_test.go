package schemecache_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/grouper/schemecache"
	"github.com/yibao-dev/yibao/schemes"
)

func TestCacheRoundTripAndRecovery(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "demo.json")
	if err := os.WriteFile(src, schemes.DemoDRG, 0o644); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	s1, i1, err := schemecache.Load(src, cache)
	if err != nil || i1.Cached || i1.WriteErr != nil || i1.Image == "" {
		t.Fatalf("first load: %v %+v", err, i1)
	}
	s2, i2, err := schemecache.Load(src, cache)
	if err != nil || !i2.Cached || i2.Digest != i1.Digest {
		t.Fatalf("second load: %v %+v", err, i2)
	}
	c := grouper.Case{ID: "p", Sex: "1", Age: "60", Diagnoses: []string{"J18.900", "J96.000"}}
	if a, b := s1.Group(&c, true), s2.Group(&c, true); !reflect.DeepEqual(a, b) {
		t.Fatalf("%+v vs %+v", a, b)
	}
	// Writing an image removes those of the same scheme from other builds.
	other := filepath.Join(cache, i1.Digest+"-0000000000000000.bin")
	os.WriteFile(other, []byte("old build"), 0o644)
	os.Remove(i1.Image)
	if _, i, err := schemecache.Load(src, cache); err != nil || i.Cached {
		t.Fatalf("%v %+v", err, i)
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("another build's image was kept")
	}
	// A damaged image is ignored and replaced.
	os.WriteFile(i1.Image, []byte("garbage"), 0o644)
	if _, i3, err := schemecache.Load(src, cache); err != nil || i3.Cached {
		t.Fatalf("damaged image: %v %+v", err, i3)
	}
	if _, i4, _ := schemecache.Load(src, cache); !i4.Cached {
		t.Fatal("image not rewritten")
	}
	// A changed scheme file has another digest and never reads the old image.
	os.WriteFile(src, append(append([]byte(nil), schemes.DemoDRG...), '\n'), 0o644)
	if _, i5, _ := schemecache.Load(src, cache); i5.Cached || i5.Digest == i1.Digest {
		t.Fatalf("changed file read a stale image: %+v", i5)
	}
	// An unwritable cache directory still loads; off writes nothing.
	if _, i6, err := schemecache.Load(src, filepath.Join(src, "sub")); err != nil || i6.WriteErr == nil {
		t.Fatalf("unwritable cache: %v %+v", err, i6)
	}
	if _, i7, err := schemecache.Load(src, schemecache.Off); err != nil || i7.Image != "" || i7.Cached {
		t.Fatalf("off: %v %+v", err, i7)
	}
	if _, _, err := schemecache.Load(filepath.Join(dir, "missing.json"), cache); err == nil {
		t.Fatal("missing file loaded")
	}
}

// BenchmarkCachedLoad is a whole cached load of a city scheme: read the 2.8 MB file, hash
// it, read and decode the compiled image.
func BenchmarkCachedLoad(b *testing.B) {
	src := filepath.Join("..", "..", "..", "shared", "drg", "foshan-2022", "scheme.json")
	cache := b.TempDir()
	if _, _, err := schemecache.Load(src, cache); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, info, err := schemecache.Load(src, cache); err != nil || !info.Cached {
			b.Fatal(err, info)
		}
	}
}

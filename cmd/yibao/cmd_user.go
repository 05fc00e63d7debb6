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
	"time"

	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/web"
)

const userUsage = `Usage: yibao user add --name N --role admin|analyst|hospital [--hospital H] [--password-stdin]
       yibao user passwd --name N [--password-stdin]
       yibao user disable|enable|delete|unlock --name N
       yibao user role --name N --role admin|analyst|hospital [--hospital H]
       yibao user list [--json]

User names: 1–32 characters of a–z 0–9 . _ - (用户名). Passwords: at least 12 characters,
at most 72 bytes, not a common password (docs/security.md).`

// runUser manages cockpit accounts.
func runUser(ctx context.Context, e *env, args []string) error {
	subs := map[string]bool{"add": true, "passwd": true, "list": true, "disable": true, "enable": true, "delete": true, "role": true, "unlock": true}
	if len(args) == 0 || !subs[args[0]] {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(e.stdout, userUsage)
			return nil
		}
		fmt.Fprintln(e.stderr, userUsage)
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
	st, err := sqlite.Open(dataDir(e, *db))
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
			if us == nil {
				us = []sqlite.User{}
			}
			return json.NewEncoder(e.stdout).Encode(us)
		}
		now := time.Now().Unix()
		for _, u := range us {
			state := "active"
			switch {
			case u.Disabled:
				state = "disabled (已停用)"
			case u.LockedUntil > now:
				state = "locked (已锁定) until " + time.Unix(u.LockedUntil, 0).Format("15:04:05")
			}
			// %q for names from before the user name rule: a crafted name cannot forge a line.
			fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\n", printable(u.Username), u.Role, printable(u.Hospital), state)
		}
		return nil
	}
	if *name == "" {
		return usageError{msg: "--name is required"}
	}
	switch sub {
	case "disable", "enable":
		err = st.SetUserDisabled(ctx, *name, sub == "disable", "cli")
	case "delete":
		err = st.DeleteUser(ctx, *name, "cli")
	case "unlock":
		err = st.UnlockUser(ctx, *name, "cli")
	case "role":
		var h string
		if h, err = checkRole(ctx, st, *role, *hospital); err == nil {
			err = st.SetUserRole(ctx, *name, *role, h, "cli")
		}
	}
	if sub != "add" && sub != "passwd" {
		if err != nil {
			return fmt.Errorf("user %s: %w", *name, err)
		}
		fmt.Fprintf(e.stdout, "%s: %s done\n", *name, sub)
		return nil
	}
	if sub == "add" && !web.ValidUsername(*name) {
		return usageError{msg: web.ErrUsername.Error()}
	}
	pw, generated, err := password(*fromStdin)
	if err != nil {
		return err
	}
	hash, err := web.HashPassword(pw, *name)
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

// checkRole validates a role and its hospital, returning the hospital to store.
func checkRole(ctx context.Context, st *sqlite.Store, role, hospital string) (string, error) {
	switch role {
	case web.RoleAdmin, web.RoleAnalyst:
		return "", nil
	case web.RoleHospital:
		if hospital == "" {
			return "", usageError{msg: "a hospital user needs --hospital"}
		}
		return hospital, registered(ctx, st, hospital)
	}
	return "", usageError{msg: "--role must be admin, analyst or hospital"}
}

func addUser(ctx context.Context, st *sqlite.Store, name, role, hospital, hash string) error {
	if !web.ValidUsername(name) {
		return usageError{msg: web.ErrUsername.Error()}
	}
	h, err := checkRole(ctx, st, role, hospital)
	if err != nil {
		return err
	}
	return st.AddUser(ctx, sqlite.User{Username: name, PasswordHash: hash, Role: role, Hospital: h}, "cli")
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

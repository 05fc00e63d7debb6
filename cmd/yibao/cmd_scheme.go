package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/yibao-dev/yibao/grouper"
)

// runScheme: yibao scheme show NAME | yibao scheme diff OLD NEW. A bureau reads what a
// scheme holds and what a new version changes before regrouping stored cases with it
// (yibao group --db DIR --scheme NEW).
func runScheme(ctx context.Context, e *env, args []string) error {
	const synopsis = "scheme show NAME [--json] | scheme diff OLD NEW [--json] [--limit N]   (NAME: a scheme file or \"demo\")"
	if len(args) == 0 || (args[0] != "show" && args[0] != "diff") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(e.stdout, "Usage: yibao "+synopsis)
			return nil
		}
		return usageError{msg: "usage: yibao " + synopsis}
	}
	fs := newFlags(e, "scheme "+args[0], synopsis)
	asJSON := fs.Bool("json", false, "print as JSON")
	limit := fs.Int("limit", 200, "diff: at most this many groups listed per level in text output (0: all)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	names := fs.Args()
	switch args[0] {
	case "show":
		if len(names) != 1 {
			return usageError{msg: "usage: yibao scheme show NAME"}
		}
		s, err := openScheme(e, names[0])
		if err != nil {
			return err
		}
		sum := s.Summary()
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(struct {
				grouper.SchemeSummary
				LoadSeconds float64 `json:"load_seconds"`
				Cached      bool    `json:"loaded_from_cache"`
			}{sum, s.Seconds, s.Cached})
		}
		w := e.stdout
		fmt.Fprintf(w, "方案 scheme        %s %s — %s\n", sum.ID, sum.Version, sum.Title)
		fmt.Fprintf(w, "格式 format        %s %s\n", sum.Format, strings.Join(sum.Features, ", "))
		fmt.Fprintf(w, "重新分组 regroup   %v\n", sum.Regroup)
		fmt.Fprintf(w, "分组 groups        %d MDC, %d ADRG, %d DRG（%d 个 MDC 启用歧义检查 with QY）\n", sum.MDCs, sum.ADRGs, sum.DRGs, sum.QYMDCs)
		fmt.Fprintf(w, "数据 data          %d 个列表 lists, %d 个编码 codes\n", sum.Lists, sum.Codes)
		fmt.Fprintf(w, "SHA-256            %s\n", sum.Digest)
		fmt.Fprintf(w, "载入 load          %.3fs（缓存 cached: %v）\n", s.Seconds, s.Cached)
		return nil
	default:
		if len(names) != 2 {
			return usageError{msg: "usage: yibao scheme diff OLD NEW"}
		}
		old, err := openScheme(e, names[0])
		if err != nil {
			return err
		}
		nu, err := openScheme(e, names[1])
		if err != nil {
			return err
		}
		d := grouper.Diff(old.Scheme, nu.Scheme)
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(d)
		}
		printDiff(e.stdout, d, *limit)
		return nil
	}
}

func printDiff(w io.Writer, d grouper.SchemeDiff, limit int) {
	fmt.Fprintf(w, "旧 old: %s %s (format %s, sha256 %.12s)\n新 new: %s %s (format %s, sha256 %.12s)\n",
		d.Old.ID, d.Old.Version, d.Old.Format, d.Old.Digest, d.New.ID, d.New.Version, d.New.Format, d.New.Digest)
	for _, f := range d.Features {
		fmt.Fprintf(w, "格式特性 features: %s\n", f)
	}
	kinds := map[string]string{"added": "新增 added", "removed": "删除 removed", "changed": "改变 changed"}
	for _, lv := range []struct {
		name string
		gs   []grouper.GroupChange
	}{{"MDC", d.MDCs}, {"ADRG", d.ADRGs}, {"DRG", d.DRGs}} {
		n := map[string]int{}
		for _, g := range lv.gs {
			n[g.Kind]++
		}
		fmt.Fprintf(w, "\n%s：新增 added %d，删除 removed %d，改变 changed %d\n", lv.name, n["added"], n["removed"], n["changed"])
		for i, g := range lv.gs {
			if limit > 0 && i == limit {
				fmt.Fprintf(w, "  … 另有 %d 项 and %d more (--limit 0 or --json for all)\n", len(lv.gs)-limit, len(lv.gs)-limit)
				break
			}
			parent := ""
			if g.Parent != "" {
				parent = "  [" + g.Parent + "]"
			}
			fmt.Fprintf(w, "  %-14s %-6s %s%s\n", kinds[g.Kind], g.Code, g.Name, parent)
			for _, c := range g.Changes {
				switch {
				case c.OldZH != "":
					fmt.Fprintf(w, "      %s / %s\n        旧 old: %s\n        新 new: %s\n", c.ZH, c.EN, c.OldZH, c.NewZH)
				case c.Old != "" || c.New != "":
					fmt.Fprintf(w, "      %s / %s: %s → %s\n", c.ZH, c.EN, orNone(c.Old), orNone(c.New))
				default:
					fmt.Fprintf(w, "      %s / %s\n", c.ZH, c.EN)
				}
			}
		}
	}
	if len(d.Tables) > 0 {
		fmt.Fprintf(w, "\n表 tables\n")
		for _, t := range d.Tables {
			fmt.Fprintf(w, "  %-9s 新增 added %d，删除 removed %d  %s\n", t.Table, t.Added, t.Removed, strings.Join(t.Sample, " "))
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "（无 none）"
	}
	return s
}

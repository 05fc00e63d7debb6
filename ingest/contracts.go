package ingest

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
)

// ContractColumns are the columns of the family-doctor contracts CSV (docs/formats.md).
var ContractColumns = []string{"psn_no", "institution", "team", "start", "end"}

// ContractSink is a Sink that also keeps family-doctor contracts. Ingest refuses a contracts
// file when the sink is not one.
type ContractSink interface {
	PutContracts(ctx context.Context, cs []yibao.Contract) error
}

// parseContractRow reads one contract; psn_no is pseudonymised by the caller.
func parseContractRow(row map[string]string) (psnNo string, c yibao.Contract, ps problems) {
	r := rowReader{row: row, ps: &ps}
	psnNo = strings.TrimSpace(row["psn_no"])
	if psnNo == "" {
		ps.missing("psn_no")
	} else if len(psnNo) > maxCodeLen {
		ps.add("psn_no", "too_long", "longer than %d characters", "长度超过 %d 个字符", maxCodeLen)
	}
	c.Institution = strings.TrimSpace(r.str("institution", maxCodeLen))
	if c.Institution == "" {
		ps.missing("institution")
	}
	c.Team = strings.TrimSpace(r.str("team", maxCodeLen))
	var ok bool
	if strings.TrimSpace(row["start"]) == "" {
		ps.missing("start")
	} else if c.Start, ok = r.time("start", true); ok {
		c.Start = dateOnly(c.Start)
	}
	if strings.TrimSpace(row["end"]) != "" {
		if c.End, ok = r.time("end", true); ok {
			c.End = dateOnly(c.End)
			if !c.Start.IsZero() && c.End.Before(c.Start) {
				ps.add("end", "before_start", "end %s is before start %s", "签约结束日期 %s 早于开始日期 %s",
					c.End.Format(time.DateOnly), c.Start.Format(time.DateOnly))
			}
		}
	}
	return psnNo, c, ps
}

func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (r *run) contracts(path string) error {
	sink, ok := r.sink.(ContractSink)
	if !ok {
		return errors.New("ingest " + path + ": this store does not keep contracts")
	}
	f, t, err := openCSV(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var cs []yibao.Contract
	for n := 1; ; n++ {
		row, err := t.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			r.sum.ContractsRejected++
			if err := r.rejectRow(path, n, "", []Problem{{Code: "bad_csv", EN: err.Error(), ZH: "CSV 格式错误：" + err.Error()}}, nil); err != nil {
				return err
			}
			continue
		}
		psnNo, c, ps := parseContractRow(row)
		if len(ps) > 0 {
			r.sum.ContractsRejected++
			if err := r.rejectRow(path, n, "", ps, row); err != nil {
				return err
			}
			continue
		}
		c.Person = r.opt.Pseudonymiser.Person(psnNo)
		cs = append(cs, c)
	}
	if err := sink.PutContracts(r.ctx, cs); err != nil {
		return errors.New("ingest " + path + ": store contracts: " + err.Error())
	}
	r.sum.Contracts += len(cs)
	return nil
}

package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progressLine renders count, rate and ETA on one terminal line, redrawn in place. It
// prints nothing when the output is not a terminal or when JSON output was asked for, so
// logs and pipes stay clean.
type progressLine struct {
	w       io.Writer
	enabled bool
	label   string
	drawn   bool
}

func newProgress(w io.Writer, label string, quiet bool) *progressLine {
	return &progressLine{w: w, enabled: !quiet && isTerminal(w), label: label}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// update draws count items done of total (0 when unknown); frac is the share of work done
// (from bytes or items) for the ETA.
func (p *progressLine) update(count int, frac float64, elapsed time.Duration) {
	if !p.enabled {
		return
	}
	rate := float64(count) / elapsed.Seconds()
	eta := "?"
	if frac > 0.001 && frac < 1 {
		eta = (time.Duration(float64(elapsed)/frac) - elapsed).Round(time.Second).String()
	} else if frac >= 1 {
		eta = "0s"
	}
	fmt.Fprintf(p.w, "\r\033[K%s %d  %.0f/s  %3.0f%%  ETA %s", p.label, count, rate, frac*100, eta)
	p.drawn = true
}

func (p *progressLine) done() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

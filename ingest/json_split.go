package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxRecordBytes bounds one document so that a file without record boundaries cannot
// make memory grow with its size.
const maxRecordBytes = 64 << 20

// recordSplitter cuts a stream holding either a JSON array of documents or a sequence of
// documents (NDJSON, or pretty-printed objects one after another) into one byte slice per
// document, without parsing them. Parsing happens per record in parallel workers, and a
// syntax error inside one document therefore costs only that document.
type recordSplitter struct {
	r      io.Reader
	buf    []byte
	start  int // first unconsumed byte of buf
	end    int // end of valid data in buf
	eof    bool
	mode   byte // 0 undecided, '[' array, 's' sequence of documents, 'n' NDJSON
	done   bool
	offset int64 // stream offset of buf[0]
	last   int64 // stream offset of the first byte of the record Next returned last
}

// RecordStart is the stream offset of the record Next returned last (for the rejects
// file, which names an unparseable record by its byte range, never by its content).
func (s *recordSplitter) RecordStart() int64 { return s.last }

func newRecordSplitter(r io.Reader) *recordSplitter {
	return &recordSplitter{r: r, buf: make([]byte, 1<<20)}
}

// errTruncated marks a record cut off by the end of the input.
var errTruncated = errors.New("unexpected end of input: the document is truncated")

// Consumed reports how many bytes of the stream have been cut into records.
func (s *recordSplitter) Consumed() int64 { return s.offset + int64(s.start) }

// fill makes more input available; it returns false at EOF with nothing new.
func (s *recordSplitter) fill() (bool, error) {
	if s.eof {
		return false, nil
	}
	if s.start > 0 {
		copy(s.buf, s.buf[s.start:s.end])
		s.offset += int64(s.start)
		s.end -= s.start
		s.start = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxRecordBytes {
			return false, fmt.Errorf("a single document exceeds %d MiB", maxRecordBytes>>20)
		}
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	n, err := s.r.Read(s.buf[s.end:])
	s.end += n
	if err == io.EOF {
		s.eof = true
		return n > 0, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skip advances over whitespace, a UTF-8 BOM and (in array mode) separators.
func (s *recordSplitter) skip() error {
	for {
		for s.start < s.end {
			c := s.buf[s.start]
			switch {
			case isSpace(c):
				s.start++
			case c == ',' && s.mode == '[':
				s.start++
			case c == 0xEF && s.end-s.start >= 3 && s.buf[s.start+1] == 0xBB && s.buf[s.start+2] == 0xBF:
				s.start += 3
			default:
				return nil
			}
		}
		more, err := s.fill()
		if err != nil || !more {
			return err
		}
	}
}

// Next returns the next document's bytes (valid until the next call), io.EOF at the end,
// errTruncated with the partial bytes when the input ends inside a document, or another
// error for a read failure.
func (s *recordSplitter) Next() ([]byte, error) {
	if s.done {
		return nil, io.EOF
	}
	if err := s.skip(); err != nil {
		return nil, err
	}
	if s.start == s.end {
		s.done = true
		if s.mode == '[' {
			return nil, errTruncated // array never closed
		}
		return nil, io.EOF
	}
	if s.mode == 0 {
		if s.buf[s.start] == '[' {
			s.mode = '['
			s.start++
			return s.Next()
		}
		s.mode = 's'
	}
	if s.mode == 'n' {
		return s.scanLine()
	}
	if s.mode == '[' && s.buf[s.start] == ']' {
		s.start++
		s.done = true
		if err := s.skip(); err != nil {
			return nil, err
		}
		if s.start != s.end {
			return nil, fmt.Errorf("unexpected data after the closing ] of the array at byte %d", s.Consumed())
		}
		return nil, io.EOF
	}
	rec, err := s.scanValue()
	// A first document that fits on its line makes the file NDJSON: from then on a record
	// is a line, so that a broken line costs only itself, not the documents after it.
	if s.mode == 's' && err == nil && bytes.IndexByte(rec, '\n') < 0 && s.atLineEnd() {
		s.mode = 'n'
	}
	return rec, err
}

// atLineEnd reports whether only spaces separate the read position from a newline (or the
// end of the input). It does not read more: the record just cut still lives in the buffer.
func (s *recordSplitter) atLineEnd() bool {
	for i := s.start; ; i++ {
		if i == s.end {
			return s.eof
		}
		switch s.buf[i] {
		case '\n':
			return true
		case ' ', '\t', '\r':
		default:
			return false
		}
	}
}

// scanLine returns the rest of the current line (NDJSON mode).
func (s *recordSplitter) scanLine() ([]byte, error) {
	i := s.start
	for {
		if j := bytes.IndexByte(s.buf[i:s.end], '\n'); j >= 0 {
			rec := bytes.TrimRight(s.buf[s.start:i+j], " \t\r")
			s.last = s.offset + int64(s.start)
			s.start = i + j + 1
			return rec, nil
		}
		rel := s.end - s.start
		more, err := s.fill()
		if err != nil {
			return nil, err
		}
		i = s.start + rel
		if !more {
			rec := bytes.TrimRight(s.buf[s.start:s.end], " \t\r")
			s.last = s.offset + int64(s.start)
			s.start = s.end
			s.done = true
			if !json.Valid(rec) {
				return rec, errTruncated
			}
			return rec, nil
		}
	}
}

// scanValue finds the end of the value starting at s.start.
func (s *recordSplitter) scanValue() ([]byte, error) {
	depth := 0
	inString := false
	i := s.start
	for {
		for i < s.end {
			c := s.buf[i]
			if inString {
				// The closing quote is the next quote not preceded by an odd number of
				// backslashes; IndexByte finds quotes at memory speed.
				j := bytes.IndexByte(s.buf[i:s.end], '"')
				if j < 0 {
					i = s.end
					break
				}
				i += j
				bs := 0
				for k := i - 1; k >= s.start && s.buf[k] == '\\'; k-- {
					bs++
				}
				i++
				if bs%2 == 1 {
					continue
				}
				inString = false
				if depth == 0 {
					return s.cut(i), nil
				}
				continue
			}
			switch c {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth <= 0 {
					return s.cut(i + 1), nil
				}
			case ',':
				if depth == 0 {
					if i == s.start { // a stray separator is a (bad) record of its own
						return s.cut(i + 1), nil
					}
					return s.cut(i), nil
				}
			default:
				if depth == 0 && isSpace(c) {
					return s.cut(i), nil
				}
			}
			i++
		}
		rel := i - s.start
		more, err := s.fill()
		i = s.start + rel
		if err != nil {
			return nil, err
		}
		if !more {
			rec := s.cut(s.end)
			s.done = true
			if depth == 0 && !inString && len(rec) > 0 {
				return rec, nil // a bare scalar at the very end
			}
			return rec, errTruncated
		}
	}
}

func (s *recordSplitter) cut(end int) []byte {
	rec := s.buf[s.start:end]
	s.last = s.offset + int64(s.start)
	s.start = end
	return rec
}

package vulndb

import (
	"encoding/binary"
	"errors"
)

// storedAffected is one affected entry of a record for one package, as the pkg bucket keeps it.
type storedAffected struct {
	// Ecosystem with its release ("Debian:12").
	Ecosystem string
	// Text is the entry's qualitative severity (Debian's urgency, ...), "" when none.
	Text     string
	Ranges   []storedRange
	Versions []string
}

// storedRange is an ECOSYSTEM or SEMVER range (GIT ranges are not kept: commits are not
// versions of installed packages).
type storedRange struct {
	Semver bool
	Events []storedEvent
}

type storedEvent struct {
	Kind    byte // evIntroduced, evFixed, evLastAffected or evLimit
	Version string
}

const (
	evIntroduced byte = 1 + iota
	evFixed
	evLastAffected
	evLimit
)

// codecVersion is the first byte of every encoded value.
const codecVersion = 1

// errCorrupt is returned for values that do not decode.
var errCorrupt = errors.New("corrupt entry")

// encodeAffected encodes the entries of one record for one package:
//
//	value  = 0x01 uvarint(len entries) entry...
//	entry  = str(ecosystem) str(text) uvarint(len ranges) range... uvarint(len versions) str...
//	range  = byte(0 ecosystem | 1 semver) uvarint(len events) (byte(kind) str(version))...
//	str    = uvarint(len) bytes
//
// A compact binary form: matching decodes one value per candidate record, and a package such
// as Debian's linux has thousands.
func encodeAffected(entries []storedAffected) []byte {
	b := []byte{codecVersion}
	b = binary.AppendUvarint(b, uint64(len(entries)))
	for _, e := range entries {
		b = appendStr(b, e.Ecosystem)
		b = appendStr(b, e.Text)
		b = binary.AppendUvarint(b, uint64(len(e.Ranges)))
		for _, r := range e.Ranges {
			if r.Semver {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
			b = binary.AppendUvarint(b, uint64(len(r.Events)))
			for _, ev := range r.Events {
				b = append(b, ev.Kind)
				b = appendStr(b, ev.Version)
			}
		}
		b = binary.AppendUvarint(b, uint64(len(e.Versions)))
		for _, v := range e.Versions {
			b = appendStr(b, v)
		}
	}
	return b
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decoder reads an encoded value; any inconsistency sets err and yields zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(len(d.b)) { // every counted item takes at least one byte
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil || n > len(d.b) {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// decodeAffected decodes a value of the pkg bucket.
func decodeAffected(b []byte) ([]storedAffected, error) {
	d := &decoder{b: b}
	if d.byte() != codecVersion {
		return nil, errCorrupt
	}
	n := d.uvarint()
	out := make([]storedAffected, 0, n)
	for range n {
		e := storedAffected{Ecosystem: d.str(), Text: d.str()}
		nr := d.uvarint()
		if nr > 0 {
			e.Ranges = make([]storedRange, 0, nr)
		}
		for range nr {
			r := storedRange{Semver: d.byte() == 1}
			ne := d.uvarint()
			r.Events = make([]storedEvent, 0, ne)
			for range ne {
				r.Events = append(r.Events, storedEvent{Kind: d.byte(), Version: d.str()})
			}
			e.Ranges = append(e.Ranges, r)
		}
		nv := d.uvarint()
		if nv > 0 {
			e.Versions = make([]string, 0, nv)
		}
		for range nv {
			e.Versions = append(e.Versions, d.str())
		}
		if d.err != nil {
			return nil, d.err
		}
		out = append(out, e)
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	return out, d.err
}

// encodeAdvisory encodes a value of the adv bucket:
//
//	value = 0x01 str(id) strs(aliases) str(summary) str(modified) str(url)
//	        uvarint(len vectors) (str(type) str(score))... str(text) strs(keys) strs(ecosystems)
//	strs  = uvarint(len) str...
func encodeAdvisory(a *storedAdvisory) []byte {
	b := []byte{codecVersion}
	b = appendStr(b, a.ID)
	b = appendStrs(b, a.Aliases)
	b = appendStr(b, a.Summary)
	b = appendStr(b, a.Modified)
	b = appendStr(b, a.URL)
	b = binary.AppendUvarint(b, uint64(len(a.Vectors)))
	for _, v := range a.Vectors {
		b = appendStr(b, v.Type)
		b = appendStr(b, v.Score)
	}
	b = appendStr(b, a.Text)
	b = appendStrs(b, a.Keys)
	return appendStrs(b, a.Ecosystems)
}

func appendStrs(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendStr(b, s)
	}
	return b
}

func (d *decoder) strs() []string {
	n := d.uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	out := make([]string, 0, n)
	for range n {
		out = append(out, d.str())
	}
	return out
}

// decodeAdvisory decodes a value of the adv bucket.
func decodeAdvisory(b []byte) (*storedAdvisory, error) {
	d := &decoder{b: b}
	if d.byte() != codecVersion {
		return nil, errCorrupt
	}
	a := &storedAdvisory{ID: d.str(), Aliases: d.strs(), Summary: d.str(), Modified: d.str(), URL: d.str()}
	n := d.uvarint()
	if n > 0 {
		a.Vectors = make([]severity, 0, n)
	}
	for range n {
		a.Vectors = append(a.Vectors, severity{Type: d.str(), Score: d.str()})
	}
	a.Text = d.str()
	a.Keys = d.strs()
	a.Ecosystems = d.strs()
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	if d.err != nil {
		return nil, d.err
	}
	return a, nil
}

// Package yamlerr turns errors of the YAML library (go.yaml.in/yaml/v3) into a line and a message.
// The library numbers lines 1-based in its scanner errors but 0-based in its parser errors ("did
// not find expected key" and the like); users must see the line that is actually wrong.
package yamlerr

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
)

var (
	lineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	// parserRE matches the parser's (0-based) messages.
	parserRE = regexp.MustCompile(`^(did not find expected (<stream-start>|<document start>|node content|'-' indicator|key|',' or '\]'|',' or '\}')|found (undefined tag handle|duplicate %YAML directive|incompatible YAML document|duplicate %TAG directive))$`)
)

// Position returns the 1-based line within doc that err is about (0 when the error names none)
// and the message without the "yaml: line N:" prefix. A corrected line never passes the
// document's last line.
func Position(err error, doc []byte) (int, string) {
	msg := err.Error()
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return 0, strings.TrimPrefix(msg, "yaml: ")
	}
	n, convErr := strconv.Atoi(m[1])
	if convErr != nil {
		return 0, strings.TrimPrefix(msg, "yaml: ")
	}
	last := bytes.Count(bytes.TrimRight(doc, "\n"), []byte("\n")) + 1
	if parserRE.MatchString(m[2]) && n < last {
		n++
	}
	// YAML also breaks lines at a lone "\r"; callers count "\n" lines, so never name a line past
	// the end.
	return min(n, last), m[2]
}

package credential

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// knownReasons is every reason LooksLikeCredential may return: fixed phrases that cannot carry
// any part of the name or value.
func knownReasons() map[string]bool {
	m := map[string]bool{ReasonNameLiteral: true, ReasonAuthValue: true, ReasonKeyEntropy: true}
	for kind := range kindDescriptions {
		m[ValueReason(kind)] = true
	}
	return m
}

func FuzzLooksLikeCredential(f *testing.F) {
	seeds := [][2]string{
		{"DB_PASSWORD", "hunter2"},
		{"DB_PASSWORD", "${DB_PASSWORD}"},
		{"TOKEN_TTL", "3600"},
		{"BASIC_AUTH", "admin:hunter2"},
		{"KEY", fakeEntropy},
		{"GITHUB", fakeGitHub},
		{"config.yaml", "db:\n  password: hunter2\n"},
		{"DATABASE_URL", "postgres://u:p4ss@db/app"},
		{"x", fakePEM},
		{"", ""},
		{"\xff\xfe", "\x00\xff"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	reasons := knownReasons()
	f.Fuzz(func(t *testing.T, name, value string) {
		reason, ok := LooksLikeCredential(name, value)
		if ok != (reason != "") {
			t.Fatalf("ok=%v with reason %q", ok, reason)
		}
		if ok && !reasons[reason] {
			t.Fatalf("unexpected reason %q", reason)
		}
		if r2, ok2 := LooksLikeCredential(name, value); r2 != reason || ok2 != ok {
			t.Fatalf("not deterministic: %q/%v then %q/%v", reason, ok, r2, ok2)
		}
		if kind, vok := SuspiciousValue(value); vok {
			if !ok || reason != ValueReason(kind) {
				t.Fatalf("suspicious value (%s) but LooksLikeCredential = %q, %v", kind, reason, ok)
			}
		}
		n := utf8.RuneCountInString(value)
		unit := "chars"
		if n == 1 {
			unit = "char"
		}
		if got, want := Redact(value), fmt.Sprintf("****(redacted, %d %s)", n, unit); got != want {
			t.Fatalf("Redact = %q, want %q", got, want)
		}
		_ = SuspiciousName(name)
		if e := Entropy(value); e < 0 || e > 8 || (value != "" && strings.Count(value, value[:1]) == len(value) && e != 0) {
			t.Fatalf("Entropy(%q) = %v", value, e)
		}
	})
}

package distlock

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"empty", "", false},
		{"one byte", "a", true},
		{"255 bytes", strings.Repeat("a", 255), true},
		{"256 bytes", strings.Repeat("a", 256), false},
		{"255 bytes multi-byte", strings.Repeat("é", 127) + "a", true},
		{"256 bytes multi-byte", strings.Repeat("é", 128), false},
		{"invalid UTF-8", "a\xffb", false},
		{"lone continuation byte", "\x80", false},
		{"truncated rune at the end", strings.Repeat("a", 254) + "\xc3", false},
		{"surrogate half", "\xed\xa0\x80", false},
		{"NUL byte", "a\x00b", false},
		{"only NUL", "\x00", false},
		{"SQL injection", "'; DROP TABLE x; --", true},
		{"LIKE wildcards", "100%_done", true},
		{"percent", "%", true},
		{"underscore", "_", true},
		{"quotes and backslash", `a"b'c\d`, true},
		{"space", " ", true},
		{"newline and tab", "a\n\tb", true},
		{"emoji", "lock-🔒", true},
		{"key with escapes", Key("a:b", `c\d`), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ValidName(tt.in)
			if tt.ok && err != nil {
				t.Fatalf("ValidName(%q) = %v, want nil", tt.in, err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidName) {
				t.Fatalf("ValidName(%q) = %v, want ErrInvalidName", tt.in, err)
			}
		})
	}
}

func TestKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		parts []string
		want  string
	}{
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a:b"},
		{[]string{"a:b"}, `a\:b`},
		{[]string{`a\`, "b"}, `a\\:b`},
		{[]string{"a", `\b`}, `a:\\b`},
		{[]string{`a\:b`}, `a\\\:b`},
		{[]string{""}, ""},
		{[]string{"", ""}, ":"},
		{[]string{":"}, `\:`},
		{[]string{"a", "", "b"}, "a::b"},
		{[]string{"é:ü", "'; --"}, `é\:ü:'; --`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.parts, "|"), func(t *testing.T) {
			t.Parallel()
			if got := Key(tt.parts...); got != tt.want {
				t.Fatalf("Key(%q) = %q, want %q", tt.parts, got, tt.want)
			}
			if got := splitKey(tt.want); !slices.Equal(got, tt.parts) {
				t.Fatalf("splitKey(%q) = %q, want %q", tt.want, got, tt.parts)
			}
		})
	}
}

// TestKeyNoCollisions checks lists of parts that a naive join would
// confuse: every one must get its own name.
func TestKeyNoCollisions(t *testing.T) {
	t.Parallel()
	lists := [][]string{
		{"a:b"}, {"a", "b"}, {`a\`, "b"}, {"a", `\b`}, {`a\:b`}, {`a\\:b`},
		{`a\`, `\b`}, {`a\\`, "b"}, {"a", "b", ""}, {"a", "", "b"}, {"", "a", "b"},
		{""}, {"", ""}, {":"}, {`\`}, {`\`, ""}, {"", `\`}, {`\:`}, {"::"},
		{":", ":"}, {"a:", "b"}, {"a", ":b"}, {"ab"}, {"a", "b:c"}, {"a:b", "c"},
	}
	seen := make(map[string][]string)
	for _, parts := range lists {
		k := Key(parts...)
		if prev, ok := seen[k]; ok {
			t.Errorf("Key(%q) = Key(%q) = %q", parts, prev, k)
		}
		seen[k] = parts
	}
}

// splitKey is the inverse of Key for lists of at least one part: '\'
// escapes the next byte and an unescaped ':' separates parts. That it
// exists (and round-trips) proves Key injective on such lists.
func splitKey(k string) []string {
	parts := []string{}
	var cur []byte
	for i := 0; i < len(k); i++ {
		switch c := k[i]; {
		case c == '\\' && i+1 < len(k):
			i++
			cur = append(cur, k[i])
		case c == ':':
			parts = append(parts, string(cur))
			cur = cur[:0]
		default:
			cur = append(cur, c)
		}
	}
	return append(parts, string(cur))
}

func FuzzKey(f *testing.F) {
	for _, s := range [][2]string{
		{"a:b", "a,b"}, {`a\,b`, `a,\b`}, {`a\:b`, `a\,b`}, {"", ","},
		{",,", ":"}, {`\`, `\\`}, {"é,\xff", "é:\xff"}, {"x", "x"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		pa, pb := strings.Split(a, ","), strings.Split(b, ",")
		ka, kb := Key(pa...), Key(pb...)
		if !slices.Equal(pa, pb) && ka == kb {
			t.Fatalf("Key(%q) = Key(%q) = %q", pa, pb, ka)
		}
		if slices.Equal(pa, pb) && ka != kb {
			t.Fatalf("Key is not deterministic: %q gave %q and %q", pa, ka, kb)
		}
		if got := splitKey(ka); !slices.Equal(got, pa) {
			t.Fatalf("splitKey(Key(%q)) = %q", pa, got)
		}
		// Two parts are never one part holding the separator, nor their
		// concatenation.
		if Key(a, b) == Key(a+":"+b) || Key(a, b) == Key(a+b) {
			t.Fatalf("Key(%q, %q) collides with a single part", a, b)
		}
		// Escaping only adds ASCII bytes before ASCII bytes, so the
		// name is valid UTF-8 exactly when every part is.
		allValid := !slices.ContainsFunc(pa, func(p string) bool { return !utf8.ValidString(p) })
		if utf8.ValidString(ka) != allValid {
			t.Fatalf("Key(%q) = %q: UTF-8 validity %v, parts' %v", pa, ka, utf8.ValidString(ka), allValid)
		}
	})
}

func FuzzValidName(f *testing.F) {
	for _, s := range []string{
		"", "a", "'; DROP TABLE x; --", "%_", "a\x00b", "\xff", "é",
		strings.Repeat("a", 255), strings.Repeat("a", 256), strings.Repeat("é", 128),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidName(name)
		valid := len(name) >= 1 && len(name) <= MaxNameLen &&
			utf8.ValidString(name) && !strings.ContainsRune(name, 0)
		switch {
		case err == nil && !valid:
			t.Fatalf("ValidName(%q) accepted an invalid name", name)
		case err != nil && valid:
			t.Fatalf("ValidName(%q) = %v for a valid name", name, err)
		case err != nil && !errors.Is(err, ErrInvalidName):
			t.Fatalf("ValidName(%q) = %v, want ErrInvalidName", name, err)
		}
	})
}

package distlock

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxNameLen is the longest lock name, in bytes.
const MaxNameLen = 255

// ValidName returns nil if name can name a lock: 1 to MaxNameLen bytes of
// valid UTF-8 without NUL. Any other byte, quotes and SQL metacharacters
// included, is stored literally.
func ValidName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidName)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidName, len(name), MaxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidName)
	case strings.IndexByte(name, 0) >= 0:
		return fmt.Errorf("%w: contains a NUL byte", ErrInvalidName)
	}
	return nil
}

// Key builds a lock name from parts, joined by ':' with every ':' and '\'
// inside a part escaped by a '\'. Different lists of parts always give
// different names: Key("a:b") is `a\:b`, Key("a", "b") is "a:b".
func Key(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(':')
		}
		for j := 0; j < len(p); j++ {
			if c := p[j]; c == ':' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(p[j])
		}
	}
	return b.String()
}

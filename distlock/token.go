package distlock

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
)

// Token proves that its bearer holds one acquisition of one lock. It is
// printable and shell-safe ("dl1_" and 64 lower-case hex digits encoding
// 256 bits from crypto/rand), so it can be handed to another process on a
// command line, in an environment variable or through a pipe.
//
// A token is a secret: the database stores only a SHA-256 hash of it, and
// distlock never writes one to a log or an error. Its String method
// redacts it; use string(tok) where the value itself is wanted.
type Token string

const (
	tokenPrefix = "dl1_"
	tokenBytes  = 32
	tokenLen    = len(tokenPrefix) + 2*tokenBytes
)

// newToken returns a fresh random token.
func newToken() Token {
	var b [tokenBytes]byte
	rand.Read(b[:]) // never returns an error (crypto/rand, Go ≥ 1.24)
	return Token(tokenPrefix + hex.EncodeToString(b[:]))
}

// ParseToken checks that s is a token distlock could have made, and
// returns it. Surrounding white space (a trailing newline from a pipe) is
// not accepted; trim it first.
func ParseToken(s string) (Token, error) {
	if len(s) != tokenLen || s[:len(tokenPrefix)] != tokenPrefix {
		return "", fmt.Errorf("%w: want %q followed by %d hex digits", ErrInvalidToken, tokenPrefix, 2*tokenBytes)
	}
	for i := len(tokenPrefix); i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", fmt.Errorf("%w: want lower-case hex digits after %q", ErrInvalidToken, tokenPrefix)
		}
	}
	return Token(s), nil
}

// String redacts the token so that printing it by accident (%v, %s, a
// structured log) does not leak it.
func (t Token) String() string {
	if t == "" {
		return ""
	}
	return tokenPrefix + "…(redacted)"
}

// GoString redacts the token from %#v as well.
func (t Token) GoString() string { return `distlock.Token("` + t.String() + `")` }

// LogValue keeps tokens out of log/slog output.
func (t Token) LogValue() slog.Value { return slog.StringValue(t.String()) }

// hashToken binds the token to the lock's name: the same token string
// can never match the row of another lock.
func hashToken(name string, tok Token) []byte {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(name)))
	h.Write(n[:])
	h.Write([]byte(name))
	h.Write([]byte(tok))
	return h.Sum(nil)
}

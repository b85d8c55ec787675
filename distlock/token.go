package distlock

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
)

// Token proves that its bearer holds one acquisition of one lock. It is
// printable and shell-safe ("dl1_" and 64 lower-case hex digits encoding
// 256 bits from crypto/rand), so it can be handed to another process on a
// command line, in an environment variable or through a pipe.
//
// A token is a secret: the database stores only a SHA-256 hash of it, and
// distlock never writes one to a log or an error. Printing one by accident
// redacts it: String (%v, %s), GoString (%#v), LogValue (log/slog), and
// the JSON and text encodings (MarshalJSON, MarshalText, so also a Token
// field of a struct that is logged as JSON or encoded). Handing one over
// is deliberate: use string(tok), e.g. a string field of the message you
// send; decoding into a Token (UnmarshalJSON, UnmarshalText) validates it
// as ParseToken does.
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
	var s [tokenLen]byte
	copy(s[:], tokenPrefix)
	hex.Encode(s[len(tokenPrefix):], b[:])
	return Token(s[:])
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

// MarshalText redacts the token, so that encoding it by accident (as a
// struct field in JSON, in a slog JSON record) does not
// leak it. To send a token, encode string(tok). (encoding/json writes the
// keys of a map keyed by Token as they are, without calling this.)
func (t Token) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// MarshalJSON redacts the token, as MarshalText does.
func (t Token) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// UnmarshalText accepts a token sent as a string, if ParseToken does; the
// empty string decodes to the empty Token.
func (t *Token) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*t = ""
		return nil
	}
	tok, err := ParseToken(string(b))
	if err != nil {
		return err
	}
	*t = tok
	return nil
}

// UnmarshalJSON accepts a JSON string, as UnmarshalText does.
func (t *Token) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return t.UnmarshalText([]byte(s))
}

// hashToken binds the token to the lock's name: the same token string
// can never match the row of another lock.
func hashToken(name string, tok Token) []byte {
	// One buffer, on the stack for names of usual length, hashed at once:
	// one allocation (the hash the caller keeps) instead of five.
	var stack [8 + 128 + tokenLen]byte
	buf := binary.BigEndian.AppendUint64(stack[:0], uint64(len(name)))
	buf = append(append(buf, name...), tok...)
	sum := sha256.Sum256(buf)
	return sum[:]
}

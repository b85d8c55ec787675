package distlock

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

var tokenShape = regexp.MustCompile(`^dl1_[0-9a-f]{64}$`)

// sampleToken is a well-formed token whose secret part is easy to spot.
const sampleToken = Token("dl1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")

func TestNewToken(t *testing.T) {
	t.Parallel()
	seen := make(map[Token]bool)
	for range 1000 {
		tok := newToken()
		if !tokenShape.MatchString(string(tok)) {
			t.Fatalf("newToken() = %q, want the shape %v", string(tok), tokenShape)
		}
		if got, err := ParseToken(string(tok)); err != nil || got != tok {
			t.Fatalf("ParseToken(newToken()) = %q, %v", string(got), err)
		}
		if seen[tok] {
			t.Fatalf("newToken() repeated %q", string(tok))
		}
		seen[tok] = true
	}
}

func TestParseToken(t *testing.T) {
	t.Parallel()
	good := string(sampleToken)
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"valid", good, true},
		{"all zero", "dl1_" + strings.Repeat("0", 64), true},
		{"all f", "dl1_" + strings.Repeat("f", 64), true},
		{"empty", "", false},
		{"prefix only", "dl1_", false},
		{"one digit short", good[:len(good)-1], false},
		{"one digit long", good + "0", false},
		{"no prefix", strings.Repeat("0", 68), false},
		{"other version", "dl2_" + good[4:], false},
		{"upper-case prefix", "DL1_" + good[4:], false},
		{"upper-case hex", "dl1_" + strings.ToUpper(good[4:]), false},
		{"one upper-case digit", good[:len(good)-1] + "F", false},
		{"non-hex letter", good[:len(good)-1] + "g", false},
		{"punctuation", good[:len(good)-1] + "-", false},
		{"NUL", good[:len(good)-1] + "\x00", false},
		{"multi-byte rune, same length", good[:len(good)-2] + "é", false},
		{"leading space", " " + good, false},
		{"trailing newline", good + "\n", false},
		{"space instead of last digit", good[:len(good)-1] + " ", false},
		{"redacted form", sampleToken.String(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseToken(tt.in)
			if tt.ok {
				if err != nil || string(got) != tt.in {
					t.Fatalf("ParseToken(%q) = %q, %v; want it back", tt.in, string(got), err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("ParseToken(%q) = %v, want ErrInvalidToken", tt.in, err)
			}
			if got != "" {
				t.Fatalf("ParseToken(%q) returned %q with an error", tt.in, string(got))
			}
			if strings.Contains(err.Error(), good[4:20]) {
				t.Fatalf("the error %q repeats the token", err)
			}
		})
	}
}

// assertRedacted fails if out holds any sign of the secret of tok.
func assertRedacted(t *testing.T, what, out string, tok Token) {
	t.Helper()
	secret := string(tok)[len(tokenPrefix):]
	for _, s := range []string{secret[:16], secret[48:], hex.EncodeToString([]byte(secret[:8]))} {
		if strings.Contains(strings.ToLower(out), s) {
			t.Errorf("%s leaks the token: %q", what, out)
			return
		}
	}
}

func TestTokenStringRedacts(t *testing.T) {
	t.Parallel()
	if got := Token("").String(); got != "" {
		t.Errorf(`Token("").String() = %q, want ""`, got)
	}
	for _, tok := range []Token{sampleToken, newToken()} {
		if got := tok.String(); !strings.Contains(got, "redacted") {
			t.Errorf("String() = %q, want a redaction marker", got)
		}
		for _, verb := range []string{"%v", "%s", "%+v", "%q", "%x", "%X", "%10s", "%-80v"} {
			assertRedacted(t, "Sprintf("+verb+")", fmt.Sprintf(verb, tok), tok)
		}
		assertRedacted(t, "Sprint", fmt.Sprint(tok), tok)
		assertRedacted(t, "Sprintf(%v) of a slice", fmt.Sprintf("%v", []Token{tok}), tok)
		assertRedacted(t, "Sprintf(%+v) of a struct", fmt.Sprintf("%+v", struct{ Tok Token }{tok}), tok)
		assertRedacted(t, "wrapped error", fmt.Errorf("release %v: %w", tok, ErrExpired).Error(), tok)
	}
}

// TestTokenGoSyntaxRedacted: %#v is what test failure messages (testify,
// go-cmp) and debug prints use; it must not show the secret either.
func TestTokenGoSyntaxRedacted(t *testing.T) {
	t.Parallel()
	assertRedacted(t, "Sprintf(%#v)", fmt.Sprintf("%#v", sampleToken), sampleToken)
	assertRedacted(t, "Sprintf(%#v) of a struct", fmt.Sprintf("%#v", struct{ Tok Token }{sampleToken}), sampleToken)
}

// TestLockPrintRedactsToken: a *Lock printed by accident must not show the
// token kept in its unexported field.
func TestLockPrintRedactsToken(t *testing.T) {
	t.Parallel()
	l := &Lock{name: "job", tok: sampleToken}
	for _, verb := range []string{"%v", "%+v", "%s", "%#v"} {
		assertRedacted(t, "Sprintf("+verb+") of a *Lock", fmt.Sprintf(verb, l), sampleToken)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("acquired", "lock", l)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("acquired", "lock", l)
	assertRedacted(t, "slog output of a *Lock", buf.String(), sampleToken)
}

func TestTokenLogValue(t *testing.T) {
	t.Parallel()
	tok := newToken()
	for _, h := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
	} {
		var buf bytes.Buffer
		log := slog.New(h.new(&buf))
		log.Info("acquired", "token", tok, slog.Any("any", tok), slog.Group("g", "token", tok))
		log.With("token", tok).Warn("with")
		out := buf.String()
		assertRedacted(t, h.name+" handler", out, tok)
		if n := strings.Count(out, "redacted"); n != 4 {
			t.Errorf("%s handler: %d redaction markers, want 4:\n%s", h.name, n, out)
		}
	}
}

func TestHashToken(t *testing.T) {
	t.Parallel()
	other := newToken()
	h := hashToken("job", sampleToken)
	if len(h) != sha256.Size {
		t.Fatalf("hashToken gave %d bytes, want %d", len(h), sha256.Size)
	}
	if !bytes.Equal(h, hashToken("job", sampleToken)) {
		t.Fatal("hashToken is not deterministic")
	}
	// The stored format: SHA-256 of the name's length (8 bytes, big
	// endian), the name and the token. Changing it orphans live rows.
	want := sha256.Sum256([]byte("\x00\x00\x00\x00\x00\x00\x00\x03job" + string(sampleToken)))
	if !bytes.Equal(h, want[:]) {
		t.Errorf("hashToken(job) = %x, want %x", h, want)
	}
	for _, n := range []int{127, 128, 129, 300, MaxNameLen} { // around and past the stack buffer
		name := strings.Repeat("n", n)
		var l [8]byte
		binary.BigEndian.PutUint64(l[:], uint64(n))
		want := sha256.Sum256([]byte(string(l[:]) + name + string(sampleToken)))
		if got := hashToken(name, sampleToken); !bytes.Equal(got, want[:]) {
			t.Errorf("hashToken of a %d-byte name = %x, want %x", n, got, want)
		}
	}

	for _, d := range []struct {
		name string
		tok  Token
	}{
		{"job2", sampleToken}, {"Job", sampleToken}, {"", sampleToken}, {"job", other},
		{"jobd", Token(strings.TrimPrefix(string(sampleToken), "d"))}, // boundary moved
	} {
		if bytes.Equal(h, hashToken(d.name, d.tok)) {
			t.Errorf("hashToken(%q, %q) equals hashToken(job, sample)", d.name, string(d.tok))
		}
	}
	secret := string(sampleToken)[len(tokenPrefix):]
	raw, _ := hex.DecodeString(secret)
	for _, needle := range [][]byte{[]byte(sampleToken), []byte(secret[:8]), raw[:8]} {
		if bytes.Contains(h, needle) {
			t.Errorf("hash %x contains token bytes %x", h, needle)
		}
	}
}

func FuzzParseToken(f *testing.F) {
	for _, s := range []string{
		string(sampleToken), "", "dl1_", " " + string(sampleToken), string(sampleToken) + "\n",
		"dl1_" + strings.Repeat("F", 64), "dl1_" + strings.Repeat("é", 32),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) || tok != "" {
				t.Fatalf("ParseToken(%q) = %q, %v; want \"\", ErrInvalidToken", s, string(tok), err)
			}
			if tokenShape.MatchString(s) {
				t.Fatalf("ParseToken(%q) rejected a well-formed token: %v", s, err)
			}
			return
		}
		if string(tok) != s || !tokenShape.MatchString(s) {
			t.Fatalf("ParseToken(%q) = %q accepted a malformed token", s, string(tok))
		}
		if again, err := ParseToken(string(tok)); err != nil || again != tok {
			t.Fatalf("ParseToken does not round-trip %q: %q, %v", s, string(again), err)
		}
	})
}

// Encoding a Token by accident redacts it: json.Marshal of a Token or of a
// struct holding one, a struct logged by slog's JSON handler (which
// marshals structs rather than calling LogValue on their fields). (A map
// keyed by Token is encoded with its keys as they are: encoding/json uses
// string keys directly.) Sending one is deliberate: string(tok) encodes the value, and
// decoding into a Token validates it.
func TestTokenEncodingRedacts(t *testing.T) {
	t.Parallel()
	tok := newToken()
	type job struct {
		Name  string
		Token Token
	}
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%T): %v", v, err)
		}
		return string(b)
	}
	assertRedacted(t, "json.Marshal(tok)", enc(tok), tok)
	assertRedacted(t, "json.Marshal of a struct", enc(job{"x", tok}), tok)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("job", "job", job{"x", tok})
	slog.New(slog.NewTextHandler(&buf, nil)).Info("job", "job", job{"x", tok})
	assertRedacted(t, "slog of a struct holding a token", buf.String(), tok)
	if !strings.Contains(buf.String(), "redacted") {
		t.Errorf("slog output has no redaction marker: %s", buf.String())
	}

	// Deliberate transfer: the string goes out, a Token comes back.
	wire := enc(struct{ Name, Token string }{"x", string(tok)})
	var got job
	if err := json.Unmarshal([]byte(wire), &got); err != nil || got.Token != tok {
		t.Fatalf("decoding a sent token: %v (equal: %v)", err, got.Token == tok)
	}
	if err := json.Unmarshal([]byte(`{"Token":""}`), &got); err != nil || got.Token != "" {
		t.Fatalf("decoding an empty token: %v, %q", err, got.Token)
	}
	for _, bad := range []string{enc(job{"x", tok}), `{"Token":"dl1_xyz"}`, `{"Token":7}`} {
		if err := json.Unmarshal([]byte(bad), &got); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("decoding %s: got %v, want ErrInvalidToken", bad, err)
		}
	}
}

// Hashing and making a token each allocate once: what the caller keeps.
// (Not parallel: AllocsPerRun counts every goroutine's allocations.)
func TestTokenAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	if allocs := testing.AllocsPerRun(100, func() { hashToken("job", sampleToken) }); allocs > 1 {
		t.Errorf("hashToken allocates %v times, want 1 (the hash)", allocs)
	}
	if allocs := testing.AllocsPerRun(100, func() { newToken() }); allocs > 1 {
		t.Errorf("newToken allocates %v times, want 1 (the string)", allocs)
	}
}

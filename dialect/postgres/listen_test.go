package postgres

import (
	"testing"

	"github.com/distlock/distlock/dialect"
)

func TestParseReleased(t *testing.T) {
	t.Parallel()
	s := &store{nonce: 4242}
	for _, tc := range []struct {
		payload string
		want    dialect.Notice
		ok      bool
	}{
		{"17:4242 deploy", dialect.Notice{Name: "deploy", Next: 17, Vouched: true}, true},
		{"17:4242 a name with spaces", dialect.Notice{Name: "a name with spaces", Next: 17, Vouched: true}, true},
		{"17:4243 deploy", dialect.Notice{Name: "deploy", Next: 17}, true}, // another Store's place, or forged
		{"17:0 deploy", dialect.Notice{Name: "deploy", Next: 17}, true},    // a place taken before nonces
		{"17 deploy", dialect.Notice{Name: "deploy", Next: 17}, true},      // an earlier distlock's release
		{"17:x deploy", dialect.Notice{Name: "deploy", Next: 17}, true},
		// Grants: believed only with this Store's nonce.
		{"17:4242:93 deploy", dialect.Notice{Name: "deploy", Next: 17, Vouched: true, Fence: 93}, true},
		{"17:4243:93 deploy", dialect.Notice{Name: "deploy", Next: 17}, true},
		{"17:4242:x deploy", dialect.Notice{Name: "deploy", Next: 17, Vouched: true}, true},
		{"17:4242:-1 deploy", dialect.Notice{Name: "deploy", Next: 17, Vouched: true}, true},
		{"0:4242 deploy", dialect.Notice{}, false},
		{"-3 deploy", dialect.Notice{}, false},
		{"deploy", dialect.Notice{}, false},
		{"x:4242 deploy", dialect.Notice{}, false},
	} {
		got, ok := s.parseReleased(tc.payload)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseReleased(%q) = %+v, %v; want %+v, %v", tc.payload, got, ok, tc.want, tc.ok)
		}
	}
	if newNonce() == 0 {
		t.Error("newNonce returned 0, which vouches for nothing")
	}
}

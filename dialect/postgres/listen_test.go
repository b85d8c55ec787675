package postgres

import "testing"

func TestParseReleased(t *testing.T) {
	t.Parallel()
	s := &store{nonce: 4242}
	for _, tc := range []struct {
		payload     string
		name        string
		next        int64
		vouched, ok bool
	}{
		{"17:4242 deploy", "deploy", 17, true, true},
		{"17:4242 a name with spaces", "a name with spaces", 17, true, true},
		{"17:4243 deploy", "deploy", 17, false, true}, // another Store's place, or forged
		{"17:0 deploy", "deploy", 17, false, true},    // a place taken before nonces
		{"17 deploy", "deploy", 17, false, true},      // an earlier distlock's release
		{"17:x deploy", "deploy", 17, false, true},
		{"0:4242 deploy", "", 0, false, false},
		{"-3 deploy", "", 0, false, false},
		{"deploy", "", 0, false, false},
		{"x:4242 deploy", "", 0, false, false},
	} {
		name, next, vouched, ok := s.parseReleased(tc.payload)
		if name != tc.name || next != tc.next || vouched != tc.vouched || ok != tc.ok {
			t.Errorf("parseReleased(%q) = %q, %d, %v, %v; want %q, %d, %v, %v",
				tc.payload, name, next, vouched, ok, tc.name, tc.next, tc.vouched, tc.ok)
		}
	}
	if newNonce() == 0 {
		t.Error("newNonce returned 0, which vouches for nothing")
	}
}

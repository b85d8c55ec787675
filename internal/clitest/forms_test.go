package clitest

import "testing"

func TestShowsPassword(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		out, pw string
		want    bool
	}{
		{"distlock: acquired by host:1(distlock.test)", "distlock", false}, // the word, not a leak
		{"mysql://root:distlock@db/app", "distlock", true},
		{"host=db password=distlock dbname=app", "distlock", true},
		{"host=db password='s3cr3t pw' dbname=app", FakePassword, true},
		{"error near s3cr3t pw", FakePassword, true}, // a distinctive password anywhere
		{"mysql://root:xxxxx@db/app", FakePassword, false},
		{"anything", "", false},
	} {
		if got := ShowsPassword(tc.out, tc.pw); got != tc.want {
			t.Errorf("ShowsPassword(%q, %q) = %v, want %v", tc.out, tc.pw, got, tc.want)
		}
	}
}

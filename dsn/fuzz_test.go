package dsn

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that what it prints never
// depends on (or holds) the password, and that its errors quote nothing
// of the input but the scheme, in every form: URLs, libpq keyword/value
// strings and go-sql-driver DSNs.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"sqlite:locks.db", "sqlite:///var/lib/locks.db", "file:x.db", "sqlite:",
		"postgres://u:secret@db.example.com:6432/app?sslmode=disable",
		"postgresql://u:p%40ss@[::1]:5433,h2/app?password=pw2&host=a,b&port=1",
		"postgres://u:p?s#s@db/app", "postgres:///app?host=/run/postgresql",
		"postgres://u:12/secret@host/db", "postgres://u:s@cret@h/db",
		"mysql://root@127.0.0.1:3306/distlock_test",
		"mysql://u:p%40s%3As%2Fw@[fe80::1]/app?loc=Europe/Paris&socket=/tmp/m.sock",
		"mariadb://u:secret@db:3307/app?parseTime=false&password=x",
		"host=db port=6432 user=u password=secret dbname=app sslmode=disable",
		"host=h1,h2 password = 'p w\\'x' sslpassword=k3y\\ s dbname='my db'",
		"host=db password= user=u", "host=db password='secret",
		"u:secret@tcp(db:3306)/app?parseTime=false&sql_mode=%27ANSI%27",
		"u:s3cr:t/@(x)@unix(/run/mysqld/mysqld.sock)/app?loc=Europe%2FParis", "/app", "u@/", ":secret@tcp(h)/db",
		"redis://u:secret@h", "u:secret@h/db", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			checkErrorQuotesNothing(t, s, err)
			return
		}
		red := d.Redacted()
		if d.String() != red {
			t.Errorf("String %q != Redacted %q", d.String(), red)
		}

		// The redacted form parses again, to the same database, with
		// the password replaced.
		r, err := Parse(red)
		if err != nil {
			t.Fatalf("Parse(Redacted() = %q): %v", red, err)
		}
		if r.Dialect != d.Dialect || r.Host != d.Host || r.Path != d.Path || r.Database != d.Database || r.User != d.User {
			t.Errorf("Parse(%q) = %+v, want the database of %q", red, []string{r.Dialect, r.Host, r.Path, r.Database, r.User}, s)
		}
		if r.password != "" && r.password != redactedMark {
			t.Errorf("Redacted %q keeps a password", red)
		}

		for _, raw := range d.raw {
			if raw == "" || occurrences(s, raw) != 1 {
				continue // the secret is not only the password
			}
			// The redacted form does not depend on the password: another
			// one gives the same.
			other := strings.Replace(s, raw, "Qz7Qz7", 1)
			d2, err := Parse(other)
			if err != nil {
				t.Fatalf("Parse(%q) fails with another password: %v", other, err)
			}
			if d2.Redacted() != red {
				t.Errorf("Redacted depends on the password: %q vs %q", red, d2.Redacted())
			}
		}
		// Hence it does not hold the password, unless the password is
		// also something else of the DSN (or part of "xxxxx").
		for _, secret := range d.secrets {
			if len(secret) < 6 || strings.ContainsRune(secret, 'x') || occurrences(s, secret) > 1 {
				continue
			}
			public := d.User + "\x00" + d.Host + "\x00" + d.Database + "\x00" + d.Path
			if strings.Contains(public, secret) {
				continue
			}
			if strings.Contains(red, secret) {
				t.Errorf("Redacted %q holds the secret %q", red, secret)
			}
		}
		// Scrub removes every password of 3 bytes or more from a message,
		// here the connection string itself.
		for _, secret := range d.secrets {
			if len(secret) >= 3 && !strings.ContainsRune(secret, 'x') && strings.Contains(d.Scrub(s), secret) {
				t.Errorf("Scrub(%q) = %q still holds %q", s, d.Scrub(s), secret)
			}
		}
	})
}

// checkErrorQuotesNothing fails if err's message holds 12 bytes in a row
// of the input, besides the scheme it may name.
func checkErrorQuotesNothing(t *testing.T, s string, err error) {
	msg := err.Error()
	if scheme, _, ok := cutScheme(strings.TrimSpace(s)); ok {
		msg = strings.ReplaceAll(msg, `"`+scheme+`"`, "")
	}
	// Text of the messages themselves, which an input may happen to hold.
	fixed := []string{wanted, "postgres://[user[:password]@]host[:port][,…]/database",
		"mysql://[user[:password]@]host[:port]/database", "'@', ':', '/', '?' and '#' in the user name and password",
		msgPlainName, msgOneValue}
	for _, r := range slices.Concat(pgxReasons, driverReasons) {
		fixed = append(fixed, r[1])
	}
	for name, why := range refusedVars {
		fixed = append(fixed, refusedMessage(name, why))
	}
	const window = 12
	for i := 0; i+window <= len(s); i++ {
		w := s[i : i+window]
		if slices.ContainsFunc(fixed, func(f string) bool { return strings.Contains(f, w) }) {
			continue
		}
		if strings.Contains(msg, w) {
			t.Fatalf("error %q quotes the input %q", err, s)
		}
	}
}

// occurrences counts the occurrences of sub in s, overlapping ones too.
func occurrences(s, sub string) int {
	n := 0
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.HasPrefix(s[i:], sub) {
			n++
		}
	}
	return n
}

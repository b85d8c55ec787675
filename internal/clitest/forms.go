package clitest

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// FakePassword is the password DriverForm puts in a PostgreSQL
// keyword/value string made from a URL without one: the servers the
// tests use trust their clients, and ignore it.
const FakePassword = "s3cr3t pw"

// DriverForm rewrites a test server's URL (postgres:// or mysql://) in
// the driver's own form: a libpq keyword/value string for PostgreSQL, a
// go-sql-driver DSN for MySQL/MariaDB. It returns the password the form
// holds ("" for none), which must never show in the commands' output.
func DriverForm(t *testing.T, raw string) (form, password string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("the test URL does not parse: %v", err)
	}
	password, _ = u.User.Password()
	q := u.Query()
	switch u.Scheme {
	case "postgres", "postgresql":
		if password == "" {
			password = FakePassword
		}
		quote := func(s string) string {
			return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
		}
		kv := []string{"password=" + quote(password), "dbname=" + quote(strings.TrimPrefix(u.Path, "/"))}
		if u.Hostname() != "" {
			kv = append(kv, "host="+quote(u.Hostname()))
		}
		if u.Port() != "" {
			kv = append(kv, "port="+u.Port())
		}
		if u.User.Username() != "" {
			kv = append(kv, "user="+quote(u.User.Username()))
		}
		for _, k := range slices.Sorted(maps.Keys(q)) {
			kv = append(kv, k+"="+quote(q.Get(k)))
		}
		return strings.Join(kv, " "), password
	case "mysql", "mariadb":
		addr := "tcp(" + u.Host + ")"
		if sock := q.Get("socket"); sock != "" {
			addr = "unix(" + sock + ")"
			q.Del("socket")
		}
		user := u.User.Username()
		if password != "" {
			user += ":" + password
		}
		form = fmt.Sprintf("%s@%s/%s", user, addr, strings.TrimPrefix(u.Path, "/"))
		if len(q) > 0 {
			form += "?" + q.Encode()
		}
		return form, password
	}
	t.Fatalf("not a server URL: %s", u.Scheme)
	return "", ""
}

// ShowsPassword reports whether out shows pw the way a leaked connection
// string would: after "user:" or "password=" (quoted or not), or, for a
// password that no output holds by chance (one with a space or a digit,
// as FakePassword), anywhere. A password like "distlock" is a word every
// output holds, so only those shapes can tell a leak. "" never shows.
func ShowsPassword(out, pw string) bool {
	if pw == "" {
		return false
	}
	for _, leak := range []string{":" + pw + "@", "password=" + pw, "password='" + pw, "password = " + pw} {
		if strings.Contains(out, leak) {
			return true
		}
	}
	return strings.ContainsAny(pw, " 0123456789") && strings.Contains(out, pw)
}

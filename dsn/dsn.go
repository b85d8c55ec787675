// Package dsn turns one connection string into what distlock needs: the
// dialect, the database/sql driver and its data source name. It is what the
// distlock and distlock-vacuum commands use, and programs of your own can
// use it the same way:
//
//	m, err := dsn.OpenModule(os.Getenv("DISTLOCK_DSN"), distlock.Config{})
//	if err != nil { … }
//	defer m.Close() // closes the Module, then the database
//
// Accepted forms (the scheme is case-insensitive):
//
//	sqlite:PATH           an SQLite file; PATH is relative or absolute
//	sqlite://PATH         the same: "sqlite:///var/lib/locks.db" is /var/lib/locks.db,
//	                      "sqlite://locks.db" is ./locks.db (as golang-migrate reads it)
//	sqlite3:…, file:…     aliases of sqlite:…
//	postgres://user:pass@host:port/db?params     (also postgresql://), handed to
//	                      pgx as written (the scheme lower-cased) and read as pgx
//	                      and libpq read it: several hosts ("h1,[::1]:5433") work
//	mysql://user:pass@host:port/db?params        (also mariadb://), converted to
//	                      go-sql-driver/mysql's "user:pass@tcp(host:port)/db?params"
//	                      with parseTime=true and timeout=10s (to connect) unless given; ?socket=/path connects through a
//	                      Unix socket instead of TCP. Parameters the driver does
//	                      not know become SET statements on every connection:
//	                      timestamp (it would stop the session's clock), password,
//	                      autocommit and wsrep_on are refused, and so is a value
//	                      that would set a second variable
//
// An SQLite PATH is taken literally: no %-decoding and no parameters
// (distlock sets the journal mode and busy timeout itself), so a '?' in
// it is an error. In URLs, percent-encode '@', ':', '/', '?' and '#' in
// user names and passwords. Missing ports default to 5432 and 3306; a
// missing MySQL host to 127.0.0.1.
//
// A DSN prints (String, Redacted, %v, %+v, %#v, log/slog) without its
// password, and Parse's errors quote nothing of the input but its scheme,
// so neither can leak the password into a log.
package dsn

import (
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
)

// Dialect names, as returned by dialect.Dialect.Name.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
	MySQL    = "mysql"
)

// redactedMark replaces passwords in Redacted and Scrub, as net/url does.
const redactedMark = "xxxxx"

// DSN is a parsed connection string.
type DSN struct {
	// Dialect is "sqlite", "postgres" or "mysql".
	Dialect string
	// DriverName is the database/sql driver: "sqlite", "pgx" or "mysql".
	DriverName string
	// DriverDSN is what sql.Open(DriverName, …) needs. It holds the
	// password: never print it.
	DriverDSN string
	// Host names the server for messages: "host:port", several of them
	// separated by commas, a Unix socket path, or "" for SQLite and for a
	// PostgreSQL URL without a host (pgx then picks its default).
	Host string
	// Path is the SQLite database file; "" for servers.
	Path string
	// User and Database are those of the URL, for messages.
	User, Database string

	// password is the decoded password, and secrets every string that
	// must be scrubbed from messages (the password in its encodings).
	password string
	secrets  []string
	raw      []string // the secrets as written, for tests
	// redacted is the DSN as printed, without the password.
	redacted string
}

// Parse parses a connection string (see the package documentation for the
// forms). Surrounding white space is ignored. Its errors never contain
// the password.
func Parse(s string) (DSN, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DSN{}, fmt.Errorf("dsn: empty DSN")
	}
	scheme, rest, ok := cutScheme(s)
	if !ok {
		return DSN{}, fmt.Errorf("dsn: no scheme: want %s", wanted)
	}
	switch scheme {
	case "sqlite", "sqlite3", "file":
		return parseSQLite(rest)
	case "postgres", "postgresql":
		return parsePostgres(s)
	case "mysql", "mariadb":
		return parseMySQL(s)
	}
	return DSN{}, fmt.Errorf("dsn: unknown scheme %q: want %s", scheme, wanted)
}

// wanted lists the accepted forms, for errors.
const wanted = "sqlite:PATH, postgres://… or mysql://…"

// cutScheme splits "scheme:rest", lower-casing a scheme made of RFC 3986
// scheme characters (so that nothing else of the input, which may hold a
// password, ever reaches an error message).
func cutScheme(s string) (scheme, rest string, ok bool) {
	i := strings.IndexByte(s, ':')
	if i <= 0 || i > 32 {
		return "", "", false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return "", "", false
		}
	}
	return strings.ToLower(s[:i]), s[i+1:], true
}

// String returns the DSN without its password, as Redacted does.
func (d DSN) String() string { return d.Redacted() }

// GoString keeps the password out of %#v.
func (d DSN) GoString() string { return fmt.Sprintf("dsn.DSN(%q)", d.Redacted()) }

// LogValue keeps the password out of log/slog output.
func (d DSN) LogValue() slog.Value { return slog.StringValue(d.Redacted()) }

// Redacted returns the connection string with its password (in the user
// information or a password parameter) replaced by "xxxxx".
func (d DSN) Redacted() string { return d.redacted }

// HasPassword reports whether the DSN carries a password.
func (d DSN) HasPassword() bool { return d.password != "" }

// Target names the database for messages, without secrets:
// "postgres at db.example.com:5432", "mysql at 127.0.0.1:3306",
// "sqlite file /var/lib/locks.db".
func (d DSN) Target() string {
	switch {
	case d.Dialect == SQLite:
		return "sqlite file " + d.Path
	case d.Host == "":
		return d.Dialect + " at the default host"
	}
	return d.Dialect + " at " + d.Host
}

// Scrub replaces every occurrence of the DSN's password (decoded or
// percent-encoded) in msg with "xxxxx". Drivers do not put passwords in
// their errors; Scrub is a second line of defence for messages built from
// them. Passwords shorter than 3 bytes are left alone, since they would
// match ordinary text.
func (d DSN) Scrub(msg string) string {
	for _, s := range d.secrets {
		if len(s) >= 3 {
			msg = strings.ReplaceAll(msg, s, redactedMark)
		}
	}
	return msg
}

// addSecret records a secret (a password, or the value of a password
// parameter) as written in the connection string and decoded, for Scrub
// to remove in those forms and percent-encoded.
func (d *DSN) addSecret(raw, decoded string) {
	if d.password == "" {
		d.password = decoded
	}
	d.raw = append(d.raw, raw)
	for _, s := range []string{raw, decoded, url.QueryEscape(decoded), url.PathEscape(decoded)} {
		if s != "" && !slices.Contains(d.secrets, s) {
			d.secrets = append(d.secrets, s)
		}
	}
	// Longest first, so that a form containing another is replaced whole.
	slices.SortStableFunc(d.secrets, func(a, b string) int { return len(b) - len(a) })
}

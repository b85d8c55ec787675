// Package dsn turns one connection string into what distlock needs: the
// dialect, the database/sql driver and its data source name. It is what the
// distlock and distlock-vacuum commands use, and programs of your own can
// use it the same way:
//
//	m, err := dsn.OpenModule(os.Getenv("DISTLOCK_DSN"), distlock.Config{})
//	if err != nil { … }
//	defer m.Close() // closes the Module, then the database
//
// Accepted forms, one example each (URL schemes are case-insensitive):
//
//	sqlite:/var/lib/locks.db                     an SQLite file (sqlite:PATH)
//	postgres://u:pw@db:5432/app?sslmode=require  a PostgreSQL URL (also postgresql://)
//	host=db port=5432 user=u password='p w' dbname=app sslmode=require
//	                                             a libpq keyword/value string: PostgreSQL
//	mysql://u:pw@db:3306/app?tls=true            a MySQL/MariaDB URL (also mariadb://)
//	u:pw@tcp(db:3306)/app?tls=true               a go-sql-driver/mysql DSN: MySQL/MariaDB
//
// SQLite: "sqlite://PATH" is the same as "sqlite:PATH" ("sqlite:///var/lib/locks.db"
// is /var/lib/locks.db, "sqlite://locks.db" is ./locks.db, as golang-migrate
// reads it), and sqlite3: and file: are aliases. PATH is taken literally: no
// %-decoding and no parameters (distlock sets the journal mode and busy
// timeout itself), so a '?' in it is an error.
//
// PostgreSQL: both forms are handed to pgx as written (a URL's scheme
// lower-cased), and Parse checks them with pgx's own parser
// (pgx.ParseConfig), so that they are read by the same rules as pgx and
// libpq read them: several hosts ("h1,[::1]:5433"), host and port
// parameters, quoting and backslashes in keyword/value strings, PG*
// environment variables and defaults for what the string leaves out. So
// Parse reads the files pgx reads (~/.pgpass, a service file, the
// sslrootcert, sslcert and sslkey files), as a first connection would.
//
// MySQL/MariaDB: a URL is converted to go-sql-driver's form, and a
// go-sql-driver DSN is read by the driver's own parser (mysql.ParseDSN);
// either is written back with (*mysql.Config).FormatDSN, with
// parseTime=true and timeout=10s (to connect) unless given (a tls=NAME
// must be registered with mysql.RegisterTLSConfig before Parse). In a URL,
// ?socket=/path connects through a Unix socket instead of TCP. Parameters
// the driver does not know become SET statements on every connection:
// timestamp (it would stop the session's clock), password, autocommit and
// wsrep_on are refused, and so is a value that would set a second
// variable.
//
// A string without a URL scheme is told apart by its shape: a
// go-sql-driver DSN has a network address before the database ("@tcp(…)/",
// "@unix(…)/", any "NET(ADDR)/"), an empty one ("user@/db"), or starts with
// "/" ("/db"; a name with a '.' there is taken for a file, not a database);
// a libpq string starts with "keyword=". A string that could be read as
// two forms, or as none, is an error naming the accepted forms.
//
// In URLs, percent-encode '@', ':', '/', '?' and '#' in user names and
// passwords. Missing ports default to 5432 and 3306; a missing MySQL host
// to 127.0.0.1.
//
// A DSN prints (String, Redacted, %v, %+v, %#v, log/slog) without its
// password, and Parse's errors quote nothing of the input but its scheme
// (not even the drivers' own messages, which may), so neither can leak
// the password into a log.
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
	// separated by commas, or a Unix socket path; "" for SQLite. For
	// PostgreSQL it is where pgx will connect, defaults included.
	Host string
	// Path is the SQLite database file; "" for servers.
	Path string
	// User and Database are those the driver will use, for messages
	// (for PostgreSQL, defaults included, such as $PGUSER).
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
	scheme, rest, hasScheme := cutScheme(s)
	isSQLite := hasScheme && (scheme == "sqlite" || scheme == "sqlite3" || scheme == "file")
	if hasScheme && strings.HasPrefix(rest, "//") { // a URL, whatever it holds
		switch {
		case isSQLite:
			return parseSQLite(rest)
		case scheme == "postgres" || scheme == "postgresql":
			return parsePostgres(s)
		case scheme == "mysql" || scheme == "mariadb":
			return parseMySQL(s)
		}
	}
	isDriver, isKeywords := driverShape(s), keywordShape(s)
	switch {
	case isSQLite && isDriver || isDriver && isKeywords:
		return DSN{}, fmt.Errorf("dsn: ambiguous DSN: it reads as more than one of %s; give a URL", wanted)
	case isSQLite:
		return parseSQLite(rest)
	case isDriver:
		return parseDriverDSN(s)
	case isKeywords:
		return parseKeywords(s)
	case !hasScheme:
		return DSN{}, fmt.Errorf("dsn: no scheme, and not a libpq or go-sql-driver DSN: want %s", wanted)
	case scheme == "postgres" || scheme == "postgresql":
		return parsePostgres(s) // not a URL: its error says so
	case scheme == "mysql" || scheme == "mariadb":
		return parseMySQL(s)
	}
	return DSN{}, fmt.Errorf("dsn: unknown scheme %q: want %s", scheme, wanted)
}

// wanted lists the accepted forms, for errors.
const wanted = "sqlite:PATH, postgres://…, mysql://…, host=… dbname=… (libpq) or user:password@tcp(host:port)/db (go-sql-driver)"

// keywordShape reports whether s starts as a libpq keyword/value string
// does: a keyword, then '=' (spaces may surround it).
func keywordShape(s string) bool {
	i := 0
	for i < len(s) && (s[i] == '_' || 'a' <= s[i] && s[i] <= 'z' || 'A' <= s[i] && s[i] <= 'Z' || i > 0 && '0' <= s[i] && s[i] <= '9') {
		i++
	}
	return i > 0 && strings.HasPrefix(strings.TrimLeft(s[i:], " \t\n\r\v\f"), "=")
}

// driverShape reports whether s looks like a go-sql-driver DSN,
// [user[:password]@][net(addr)]/db[?params], read as the driver reads it
// (at the last '/', then the last '@' before it): a "NET(ADDR)" or empty
// address before that '/' (the latter after an '@', or alone: "/db", whose
// name then holds no '.', as a file name would).
func driverShape(s string) bool {
	slash := strings.LastIndexByte(s, '/')
	if slash < 0 {
		return false
	}
	at := strings.LastIndexByte(s[:slash], '@')
	addr := s[at+1 : slash]
	if addr == "" {
		db, _, _ := strings.Cut(s[slash+1:], "?")
		return at >= 0 || !strings.Contains(db, ".")
	}
	open := strings.IndexByte(addr, '(')
	if open < 0 || !strings.HasSuffix(addr, ")") {
		return false
	}
	return strings.Trim(addr[:open], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == ""
}

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

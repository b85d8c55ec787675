package dsn

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/distlock/distlock/dialect/postgres"
)

// parsePostgres parses a postgres:// or postgresql:// URL. pgx parses the
// URL again itself, so DriverDSN is s, with the scheme lower-cased as pgx
// requires; what pgx makes of it gives Host, User and Database. Only the
// redaction is read here, the way pgx and libpq read URLs (not as net/url
// would): the user information ends at the first '@' before any '/', and
// an '@' after it is refused (a password's, unescaped, which pgx would
// take for part of a host or the database and print as such).
func parsePostgres(s string) (DSN, error) {
	scheme, rest, _ := cutScheme(s)
	p, ok := strings.CutPrefix(rest, "//")
	if !ok {
		return DSN{}, fmt.Errorf("dsn: want postgres://[user[:password]@]host[:port][,…]/database")
	}
	d := DSN{Dialect: Postgres, DriverName: postgres.DriverName, DriverDSN: scheme + "://" + p}
	var red strings.Builder // the URL as written, secrets replaced
	red.WriteString(scheme + "://")
	var pw string // the password pgx uses, as the URL gives it
	if i := strings.IndexAny(p, "@/"); i >= 0 && p[i] == '@' {
		user, rawPw, hasPw := strings.Cut(p[:i], ":")
		red.WriteString(user)
		if hasPw {
			red.WriteString(":")
		}
		if rawPw != "" {
			pw = uriDecode(rawPw)
			d.addSecret(rawPw, pw)
			red.WriteString(redactedMark)
		}
		red.WriteString("@")
		p = p[i+1:]
	}
	end := netlocEnd(p)
	netloc, p := p[:end], p[end:]
	if err := checkNoAt(netloc, p, Postgres); err != nil {
		return DSN{}, err
	}
	path, query, hasQuery := strings.Cut(p, "?")
	red.WriteString(netloc + path)
	if hasQuery {
		pairs := strings.Split(query, "&")
		for i, pair := range pairs {
			rawKey, rawVal, _ := strings.Cut(pair, "=")
			key, val := uriDecode(rawKey), uriDecode(rawVal)
			if key == "password" {
				pw = val // the last one wins, even empty
			}
			if secretParam(key) && val != "" {
				d.addSecret(rawVal, val)
				pairs[i] = rawKey + "=" + redactedMark
			}
		}
		red.WriteString("?" + strings.Join(pairs, "&"))
	}
	d.redacted = red.String()
	cfg, err := pgx.ParseConfig(d.DriverDSN)
	if err != nil {
		return DSN{}, pgxError("URL", err)
	}
	if err := d.fromConfig(cfg, pw); err != nil {
		return DSN{}, err
	}
	return d, nil
}

// parseKeywords parses a libpq keyword/value string, handed to pgx as it
// is. The redaction reads it as libpq and pgx do: "keyword = value"
// separated by white space, a value 'quoted' or up to the next white
// space, a backslash taking the next character literally.
func parseKeywords(s string) (DSN, error) {
	d := DSN{Dialect: Postgres, DriverName: postgres.DriverName, DriverDSN: s}
	cfg, err := pgx.ParseConfig(s)
	if err != nil {
		return DSN{}, pgxError("keyword/value DSN", err)
	}
	const space = " \t\n\r\v\f"
	var red strings.Builder
	var pw string
	for p := s; p != ""; {
		p = copyPrefix(&red, p, len(p)-len(strings.TrimLeft(p, space)))
		eq := strings.IndexByte(p, '=') // there is one: pgx accepted s
		if eq < 0 {
			break
		}
		key := strings.TrimRight(p[:eq], space)
		p = copyPrefix(&red, p, eq+1)
		p = copyPrefix(&red, p, len(p)-len(strings.TrimLeft(p, space)))
		raw, n := keywordValue(p)
		val := unbackslash(raw)
		if key == "password" {
			pw = val
		}
		if secretParam(key) && val != "" {
			d.addSecret(raw, val)
			if raw != p[:n] { // quoted, so that what follows stays apart: 'xxxxx'
				red.WriteString("'" + redactedMark + "'")
			} else {
				red.WriteString(redactedMark)
			}
			p = p[n:]
		} else {
			p = copyPrefix(&red, p, n)
		}
	}
	d.redacted = red.String()
	if err := d.fromConfig(cfg, pw); err != nil {
		return DSN{}, err
	}
	return d, nil
}

// copyPrefix writes p[:n] to b and returns the rest of p.
func copyPrefix(b *strings.Builder, p string, n int) string {
	b.WriteString(p[:n])
	return p[n:]
}

// keywordValue returns the value that starts p, as written (without its
// quotes), and its length in p (with them).
func keywordValue(p string) (raw string, n int) {
	quoted := strings.HasPrefix(p, "'")
	i := 0
	if quoted {
		i = 1
	}
	for ; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			i++
		case quoted && c == '\'':
			return p[1:i], i + 1
		case !quoted && strings.IndexByte(" \t\n\r\v\f", c) >= 0:
			return p[:i], i
		}
	}
	if quoted { // unterminated: pgx refuses it
		return p[1:], len(p)
	}
	return p, len(p)
}

// unbackslash drops each backslash and keeps the character after it.
func unbackslash(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			if i == len(s) {
				break
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// fromConfig sets Host, User and Database from what pgx made of the
// DSN, and checks that the password found in it for the redaction, pw,
// is the one pgx uses: if it were not, Redacted might show the real one.
func (d *DSN) fromConfig(cfg *pgx.ConnConfig, pw string) error {
	if pw != "" && cfg.Password != pw {
		return errors.New("dsn: cannot tell which part of this postgres DSN is the password; quote or percent-encode it")
	}
	var hosts []string
	for _, f := range append([]*pgconn.FallbackConfig{{Host: cfg.Host, Port: cfg.Port}}, cfg.Fallbacks...) {
		h := joinHost(f.Host, strconv.Itoa(int(f.Port)))
		if !slices.Contains(hosts, h) { // one per host: TLS and plain attempts share it
			hosts = append(hosts, h)
		}
	}
	d.Host, d.User, d.Database = strings.Join(hosts, ","), cfg.User, cfg.Database
	return nil
}

// netlocEnd returns where the host list of a URL (after the user
// information) ends, as pgx reads it: at the first '/' or '?' outside the
// brackets of an IPv6 address.
func netlocEnd(p string) int {
	start := true // at the start of a host
	for i := 0; i < len(p); i++ {
		switch {
		case start && p[i] == '[':
			if j := strings.IndexByte(p[i:], ']'); j > 0 {
				i += j
			}
		case p[i] == '/' || p[i] == '?':
			return i
		}
		start = p[i] == ','
	}
	return len(p)
}

// uriDecode percent-decodes a component of a URL that pgx accepted, as
// libpq does: %XX escapes, surrounding spaces dropped.
func uriDecode(raw string) string {
	s, err := url.PathUnescape(strings.Trim(raw, " "))
	if err != nil {
		return raw
	}
	return s
}

// pgxReasons are the reasons pgx's parser gives, found in its message
// (which quotes parts of the input, best-effort redacted), and what
// Parse says instead; the more specific first.
var pgxReasons = [][2]string{
	{"forbidden NUL byte", "a NUL byte"},
	{"unterminated quoted string", "an unterminated quoted value"},
	{`missing "=" after`, `a keyword without "=" (quote values holding spaces: password='a b')`},
	{"invalid keyword/value", "not keyword=value pairs"},
	{"token in password", "malformed percent-encoding in the password"},
	{"value in password", "malformed percent-encoding in the password (%00)"},
	{"spaces found in password", "spaces in the password (percent-encode them as %20)"},
	{"invalid percent-encoded token", "malformed percent-encoding"},
	{"forbidden value %00", "malformed percent-encoding (%00)"},
	{"unexpected spaces found", "spaces (percent-encode them as %20)"},
	{"IPv6 host address", "malformed IPv6 address"},
	{"unexpected character", "malformed IPv6 address (want [address]:port)"},
	{"key/value separator", "a query parameter without exactly one '='"},
	{"invalid port", "invalid port"},
	{"could not match", "as many ports as hosts, or one, are needed"},
	{"invalid connect_timeout", "invalid connect_timeout"},
	{"failed to configure TLS", "TLS settings that cannot be used (sslmode, or the sslrootcert, sslcert and sslkey files)"},
	{"failed to read service", "the service cannot be read from the service file"},
	{"invalid sslcertmode", "invalid sslcertmode"},
	{"target_session_attrs", "invalid target_session_attrs"},
	{"min_protocol_version cannot be greater", "min_protocol_version above max_protocol_version"},
	{"invalid min_protocol_version", "invalid min_protocol_version"},
	{"invalid max_protocol_version", "invalid max_protocol_version"},
	{"channel_binding", "invalid channel_binding"},
	{"invalid require_auth", "invalid require_auth"},
	{"statement_cache_capacity", "invalid statement_cache_capacity"},
	{"description_cache_capacity", "invalid description_cache_capacity"},
	{"default_query_exec_mode", "invalid default_query_exec_mode"},
}

// pgxError turns an error of pgx's parser into one that quotes nothing
// of the input: pgx's own message shows the connection string, redacted
// only on a best-effort basis, and may quote parts of it (such as a
// fragment of a password that holds a space).
func pgxError(form string, err error) error {
	msg := err.Error()
	if pe, ok := errors.AsType[*pgconn.ParseConfigError](err); ok {
		cp := *pe
		cp.ConnString = "" // the message without the input, to search it
		msg = cp.Error()
	}
	for _, r := range pgxReasons {
		if strings.Contains(msg, r[0]) {
			return fmt.Errorf("dsn: pgx refuses this postgres %s: %s", form, r[1])
		}
	}
	return fmt.Errorf("dsn: pgx refuses this postgres %s", form)
}

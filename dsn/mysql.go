package dsn

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/distlock/distlock/dialect/mysql"
)

// mysqlDefaults are the parameters a MySQL DSN gets unless it sets them:
// time values as time.Time, and a dial timeout (the driver's default
// waits on a host that does not answer as long as the OS does).
const mysqlDefaults = "parseTime=true&timeout=10s"

// parseMySQL parses a mysql:// (or mariadb://) URL into a go-sql-driver
// configuration: the user information, host and database from the URL,
// the parameters read by the driver as it reads its own, except that
// socket=PATH is the address unix(PATH) and that '/' in them is escaped
// (the driver would take it for the one before the database). The
// driver unescapes some parameters (those it sends as SET, loc, tls, …),
// not all.
func parseMySQL(s string) (DSN, error) {
	u, err := parseURL(s, MySQL)
	if err != nil {
		return DSN{}, err
	}
	_, rest, _ := strings.Cut(s, "://")
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	netloc := rest[:end]
	if i := strings.IndexByte(netloc, '@'); i >= 0 {
		netloc = netloc[i+1:]
	}
	if err := checkNoAt(netloc, rest[end:], MySQL); err != nil {
		return DSN{}, err
	}
	if strings.ContainsRune(u.Host, ',') {
		return DSN{}, fmt.Errorf("dsn: a mysql URL takes one host")
	}
	if !validPort(u.Port()) {
		return DSN{}, fmt.Errorf("dsn: invalid port in mysql URL")
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1" // go-sql-driver's default
	}
	if port == "" {
		port = "3306"
	}
	network, addr := "tcp", net.JoinHostPort(host, port)
	var params []string
	for pair := range strings.SplitSeq(u.RawQuery, "&") {
		if k, v, _ := strings.Cut(pair, "="); k == "socket" {
			sock, err := url.QueryUnescape(v)
			if err != nil || sock == "" {
				return DSN{}, fmt.Errorf("dsn: malformed socket parameter in mysql URL")
			}
			network, addr = "unix", sock
			continue
		}
		params = append(params, strings.ReplaceAll(pair, "/", "%2F"))
	}
	cfg, err := driverConfig("/?" + strings.Join(params, "&"))
	if err != nil {
		return DSN{}, err
	}
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net, cfg.Addr = network, addr
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	d, err := formatMySQL(cfg)
	if err != nil {
		return DSN{}, err
	}
	d.redacted = redactURL(s)
	d.urlSecrets(s, u)
	return d, nil
}

// parseDriverDSN parses a go-sql-driver DSN,
// [user[:password]@][net[(addr)]]/dbname[?params], with the driver's
// parser. Redacted is s as written, with the password (between the first
// ':' and the last '@' before the last '/', as the driver reads it)
// replaced.
func parseDriverDSN(s string) (DSN, error) {
	cfg, err := driverConfig(s)
	if err != nil {
		return DSN{}, err
	}
	d, err := formatMySQL(cfg)
	if err != nil {
		return DSN{}, err
	}
	d.redacted = s
	slash := strings.LastIndexByte(s, '/')
	if at := strings.LastIndexByte(s[:slash], '@'); at >= 0 {
		if colon := strings.IndexByte(s[:at], ':'); colon >= 0 && colon+1 < at {
			if s[colon+1:at] != cfg.Passwd {
				return DSN{}, fmt.Errorf("dsn: cannot tell which part of this mysql DSN is the password")
			}
			d.addSecret(cfg.Passwd, cfg.Passwd)
			d.redacted = s[:colon+1] + redactedMark + s[at:]
		}
	}
	return d, nil
}

// driverConfig parses the go-sql-driver DSN s with mysqlDefaults put
// before its own parameters (so that its own win).
func driverConfig(s string) (*gomysql.Config, error) {
	slash := strings.LastIndexByte(s, '/')
	if slash < 0 {
		return nil, fmt.Errorf("dsn: a go-sql-driver DSN needs a '/' before the database name")
	}
	base, query, _ := strings.Cut(s[slash:], "?")
	for pair := range strings.SplitSeq(query, "&") {
		if k, _, ok := strings.Cut(pair, "="); ok && k == "strict" { // the driver panics on it
			return nil, fmt.Errorf("dsn: the mysql parameter strict was removed from go-sql-driver")
		}
	}
	cfg, err := gomysql.ParseDSN(s[:slash] + base + "?" + mysqlDefaults + "&" + query)
	if err != nil {
		return nil, driverError(err)
	}
	return cfg, nil
}

// formatMySQL checks cfg's session variables and writes it as a
// go-sql-driver DSN, which must read back as cfg: a user name with a ':'
// or a password without a user name would not.
func formatMySQL(cfg *gomysql.Config) (DSN, error) {
	for _, k := range slices.Sorted(maps.Keys(cfg.Params)) {
		if err := checkMySQLParam(k, cfg.Params[k]); err != nil {
			return DSN{}, err
		}
	}
	s := cfg.FormatDSN()
	back, err := gomysql.ParseDSN(s)
	switch {
	case strings.ContainsRune(cfg.User, ':'):
		return DSN{}, fmt.Errorf("dsn: a mysql user name cannot hold ':'")
	case cfg.User == "" && cfg.Passwd != "":
		return DSN{}, fmt.Errorf("dsn: a mysql password needs a user name")
	case err != nil || back.User != cfg.User || back.Passwd != cfg.Passwd || back.Net != cfg.Net ||
		back.Addr != cfg.Addr || back.DBName != cfg.DBName || !maps.Equal(back.Params, cfg.Params):
		return DSN{}, fmt.Errorf("dsn: go-sql-driver cannot read this mysql DSN back as written (a '/' in a parameter?)")
	}
	return DSN{
		Dialect:    MySQL,
		DriverName: mysql.DriverName,
		DriverDSN:  s,
		Host:       back.Addr,
		User:       cfg.User,
		Database:   cfg.DBName,
	}, nil
}

// driverReasons are the reasons go-sql-driver's parser gives, found in
// its message (which may quote a value), and what Parse says instead.
var driverReasons = [][2]string{
	{"unsafe collations", "interpolateParams with an unsafe collation"},
	{"invalid bool value", "a boolean parameter that is not true, false, 1 or 0"},
	{"unknown time zone", "an unknown time zone in loc"},
	{"time: ", "an invalid duration"},
	{"unknown config name", "an unknown tls config name (register it with mysql.RegisterTLSConfig first)"},
	{"server pub key", "an unknown serverPubKey name"},
	{"default addr for network", "a network without an address"},
	{"invalid dbname", "malformed percent-encoding in the database name"},
	{"strconv", "an invalid number"},
	{"escape", "malformed percent-encoding in a parameter"},
}

// driverError turns an error of go-sql-driver's parser into one that
// quotes nothing of the input.
func driverError(err error) error {
	for _, r := range driverReasons {
		if strings.Contains(err.Error(), r[0]) {
			return fmt.Errorf("dsn: go-sql-driver refuses this mysql DSN: %s", r[1])
		}
	}
	return fmt.Errorf("dsn: go-sql-driver refuses this mysql DSN")
}

// urlSecrets records the password of u, and the values of its secret
// parameters, in every form Scrub should catch: as written in s (the
// raw user information is what url.Parse splits at the last '@' of the
// authority) and decoded.
func (d *DSN) urlSecrets(s string, u *url.URL) {
	if pw, ok := u.User.Password(); ok && pw != "" {
		d.addSecret(rawPassword(s), pw)
	}
	for pair := range strings.SplitSeq(u.RawQuery, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if key, err := url.QueryUnescape(k); err == nil && secretParam(key) && v != "" {
			dec, err := url.QueryUnescape(v)
			if err != nil {
				dec = v
			}
			d.addSecret(v, dec)
		}
	}
}

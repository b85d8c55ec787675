package dsn

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/distlock/distlock/dialect/mysql"
)

// mysqlConnectTimeout is the driver's dial timeout unless the URL sets
// timeout=.
const mysqlConnectTimeout = "10s"

// parseMySQL converts a mysql:// (or mariadb://) URL to go-sql-driver's
// form, [user[:password]@]tcp(host:port)/dbname?params, with
// parseTime=true, and timeout=10s to connect, unless the URL sets them.
//
// The driver splits its DSN at the last '/' (the database name and
// parameters therefore must not hold one: both are escaped here), then
// at the last '@' before it and the first ':' in the user information, so
// any password survives unescaped, but a user name with a ':' cannot.
// Parameters are passed on as written (the driver unescapes some of them,
// not all), except that '/' is escaped and socket=PATH is turned into the
// address unix(PATH). Those the driver does not know it sends as SET
// name = value on every connection: the ones that would break the locks
// (timestamp, password, autocommit, wsrep_on) are refused, and so is a
// value that would set a second variable (see checkMySQLParam).
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
	user := u.User.Username()
	if strings.ContainsRune(user, ':') {
		return DSN{}, fmt.Errorf("dsn: a mysql user name cannot hold ':'")
	}
	host, port := hostPort(u.Host)
	if !validPort(port) {
		return DSN{}, fmt.Errorf("dsn: invalid port in mysql URL")
	}
	if host == "" {
		host = mysqlHost
	}
	network, addr := "tcp", joinHost(host, port, mysqlPort)

	var params []string
	parseTime, timeout := false, false
	for pair := range strings.SplitSeq(u.RawQuery, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return DSN{}, fmt.Errorf("dsn: malformed parameter name in mysql URL")
		}
		switch key {
		case "socket":
			sock, err := url.QueryUnescape(v)
			if err != nil || sock == "" {
				return DSN{}, fmt.Errorf("dsn: malformed socket parameter in mysql URL")
			}
			network, addr = "unix", sock
			continue
		case "parseTime":
			parseTime = true
		case "timeout":
			timeout = true
		}
		if err := checkMySQLParam(key, v); err != nil {
			return DSN{}, err
		}
		params = append(params, strings.ReplaceAll(pair, "/", "%2F"))
	}
	if !parseTime {
		params = append(params, "parseTime=true")
	}
	if !timeout { // the driver's default waits on a host that does not answer as long as the OS does
		params = append(params, "timeout="+mysqlConnectTimeout)
	}

	var b strings.Builder
	if u.User != nil {
		b.WriteString(user)
		if pw, ok := u.User.Password(); ok {
			b.WriteString(":" + pw)
		}
		b.WriteString("@")
	}
	db := strings.TrimPrefix(u.Path, "/")
	fmt.Fprintf(&b, "%s(%s)/%s?%s", network, addr, url.PathEscape(db), strings.Join(params, "&"))

	d := DSN{
		Dialect:    MySQL,
		DriverName: mysql.DriverName,
		DriverDSN:  b.String(),
		Host:       addr,
		User:       user,
		Database:   db,
		redacted:   redactURL(s),
	}
	d.urlSecrets(s, u)
	return d, nil
}

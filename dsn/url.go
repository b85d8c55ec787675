package dsn

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// secretParam reports whether a URL parameter holds a secret that Redacted
// hides and Scrub removes.
func secretParam(key string) bool {
	return strings.EqualFold(key, "password") || strings.EqualFold(key, "sslpassword")
}

// parseURL parses a server URL. Its errors quote nothing of s: url.Parse's
// would quote the whole URL, password included, or part of a password
// taken for a port.
func parseURL(s, dialectName string) (*url.URL, error) {
	if _, rest, _ := cutScheme(s); !strings.HasPrefix(rest, "//") {
		return nil, fmt.Errorf("dsn: want %s://[user[:password]@]host[:port]/database", dialectName)
	}
	if strings.ContainsRune(s, '#') {
		return nil, fmt.Errorf("dsn: %s URL with a '#': percent-encode it as %%23", dialectName)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("dsn: malformed %s URL (percent-encode '@', ':', '/', '?' and '#' in the user name and password)", dialectName)
	}
	return u, nil
}

// checkNoAt rejects a '@' in the host part or the path of a URL: it means
// a password with an unescaped '@' or '/', which the drivers would read
// differently (and might then print as a host or database name).
func checkNoAt(netloc, rest, dialectName string) error {
	path, _, _ := strings.Cut(rest, "?")
	if strings.ContainsRune(netloc, '@') || strings.ContainsRune(path, '@') {
		return fmt.Errorf("dsn: malformed %s URL: percent-encode '@' as %%40 and '/' as %%2F in the user name and password", dialectName)
	}
	return nil
}

// rawPassword returns the password as written in the URL s.
func rawPassword(s string) string {
	_, rest, _ := strings.Cut(s, "://")
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return ""
	}
	_, pw, _ := strings.Cut(rest[:at], ":")
	return pw
}

// redactURL returns the URL s (already parsed by parseURL) as written,
// but with the scheme lower-cased and the password and the values of
// secret parameters replaced by "xxxxx".
func redactURL(s string) string {
	scheme, rest, _ := cutScheme(s)
	rest = strings.TrimPrefix(rest, "//")
	var b strings.Builder
	b.WriteString(scheme + "://")
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
		user, pw, hasPw := strings.Cut(rest[:at], ":")
		b.WriteString(user)
		if hasPw {
			b.WriteString(":")
		}
		if pw != "" {
			b.WriteString(redactedMark)
		}
		b.WriteString("@")
		rest = rest[at+1:]
	}
	path, query, hasQuery := strings.Cut(rest, "?")
	b.WriteString(path)
	if hasQuery {
		pairs := strings.Split(query, "&")
		for i, pair := range pairs {
			k, _, hasValue := strings.Cut(pair, "=")
			if key, err := url.QueryUnescape(k); err == nil && secretParam(key) && hasValue {
				pairs[i] = k + "=" + redactedMark
			}
		}
		b.WriteString("?" + strings.Join(pairs, "&"))
	}
	return b.String()
}

// joinHost joins a host and a port for messages; a Unix socket path
// stays as it is.
func joinHost(host, port string) string {
	if strings.HasPrefix(host, "/") {
		return host
	}
	return net.JoinHostPort(host, port)
}

// validPort reports whether p is empty or a port number.
func validPort(p string) bool {
	if len(p) > 5 {
		return false
	}
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
		n = 10*n + int(c-'0')
	}
	return p == "" || n > 0 && n <= 65535
}

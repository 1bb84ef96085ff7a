package store_test

import "net/url"

// postgresDSN returns dsn with its database replaced by name.
func postgresDSN(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + name
	return u.String()
}

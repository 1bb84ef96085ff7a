package app

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/siegel-oss/siegel/internal/store"
)

// SearchQuery reads ?q=, ?limit= and ?offset= of a portfolio search.
func SearchQuery(r *http.Request) (q string, limit, offset int, err error) {
	v := r.URL.Query()
	q, limit = v.Get("q"), 50
	for _, x := range []struct {
		name string
		dst  *int
		max  int
	}{{"limit", &limit, store.MaxPageSize}, {"offset", &offset, 1 << 30}} {
		if s := v.Get(x.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n > x.max {
				return "", 0, 0, errors.New(x.name + " must be a number from 0 to " + strconv.Itoa(x.max))
			}
			*x.dst = n
		}
	}
	if q = strings.TrimSpace(q); len(q) > store.MaxSearch {
		return "", 0, 0, fmt.Errorf("q is %d bytes long: give at most %d", len(q), store.MaxSearch)
	}
	return q, max(limit, 1), offset, nil
}

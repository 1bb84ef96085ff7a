package caller

import (
	"errors"
	"fmt"
	"testing"

	"github.com/siegel-oss/siegel/internal/store"
)

func TestMistake(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		status int
	}{
		{"invalid", Invalid(errors.New("give a name")), 400},
		{"conflicting, wrapped", fmt.Errorf("product: %w", Conflicting(errors.New("name taken"))), 409},
		{"store: invalid", fmt.Errorf("release: %w", store.ErrInvalid), 400},
		{"store: last admin", store.ErrLastAdmin, 400},
		{"store: conflict", store.ErrConflict, 409},
		{"store: evidence", store.ErrHasEvidence, 409},
		{"not found", store.ErrNotFound, 0},
		{"fault", errors.New("disk full"), 0},
	} {
		status, msg, ok := Mistake(c.err)
		if status != c.status || ok != (c.status != 0) || (ok && msg != c.err.Error()) || IsMistake(c.err) != ok {
			t.Errorf("%s: Mistake = %d %q %v, want %d", c.name, status, msg, ok, c.status)
		}
	}
	if Invalid(nil) != nil || Conflicting(nil) != nil {
		t.Error("a nil error was marked")
	}
}

func TestPrincipal(t *testing.T) {
	for _, c := range []struct {
		role              string
		org               int64
		canRead, canWrite bool
	}{
		{"admin", 1, true, true}, {"psirt", 1, true, true}, {"auditor", 1, true, false}, {"read-only", 1, true, false},
		{"admin", 2, false, false}, {"authority", 2, true, false},
	} {
		p := Principal{Token: &store.Token{Organization: c.org, Role: c.role}}
		if p.CanRead(1) != c.canRead || p.CanWrite(1) != c.canWrite {
			t.Errorf("%s of organization %d on organization 1: read %v write %v, want %v %v", c.role, c.org, p.CanRead(1), p.CanWrite(1), c.canRead, c.canWrite)
		}
	}
}

package web

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"

	"github.com/siegel-oss/siegel/internal/label"
	"github.com/siegel-oss/siegel/internal/store"
)

// labelRegister builds the public register of every label the server issued, from the labels'
// current signed statements (so the register says what the signatures cover).
func (s *Site) labelRegister(ctx context.Context) (label.Register, ed25519.PrivateKey, error) {
	key, err := s.Conformity.Key(ctx)
	if err != nil {
		return label.Register{}, nil, err
	}
	pub := key.Public().(ed25519.PublicKey)
	ls, err := s.Store.Labels(ctx, 0)
	if err != nil {
		return label.Register{}, nil, err
	}
	reg := label.Register{Issuer: label.Party{Name: cmp.Or(s.Conformity.Issuer, "Siegel")}, GeneratedAt: s.Now()}
	for i := range ls {
		st, err := label.Verify(ls[i].Statement, pub)
		if err != nil {
			return label.Register{}, nil, fmt.Errorf("label %s: the stored statement does not verify: %w", ls[i].ID, err)
		}
		reg.Labels = append(reg.Labels, label.EntryOf(st, ls[i].Statement))
	}
	return reg, key, nil
}

// labelRegisterJSON serves the register signed by the issuer's label key: with it and the key,
// `siegel label verify --register` tells whether a statement is the current one.
func (s *Site) labelRegisterJSON(w http.ResponseWriter, r *http.Request) {
	if s.Conformity == nil {
		http.Error(w, "labels are unavailable", http.StatusServiceUnavailable)
		return
	}
	reg, key, err := s.labelRegister(r.Context())
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	data, err := label.SignRegister(reg, key)
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.dsse.envelope.v1+json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(data)
}

// labelRegisterPage is the register as a public web page.
func (s *Site) labelRegisterPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	if s.Conformity == nil {
		http.Error(w, "labels are unavailable", http.StatusServiceUnavailable)
		return
	}
	reg, _, err := s.labelRegister(r.Context())
	if err != nil {
		s.Fail(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "register", &registerView{Layout: Layout{Title: "Label register", User: u}, Register: &reg})
}

// registerView is the public label register (register.html).
type registerView struct {
	Layout
	Register *label.Register
}

package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/store"
)

// WitnessStateJSON is a witness's state of one log.
type WitnessStateJSON struct {
	Witness    string    `json:"witness"`
	Origin     string    `json:"origin"`
	LogKey     string    `json:"logKey"`
	Size       int64     `json:"size"`
	CosignedAt time.Time `json:"cosignedAt,omitzero"`
	Refusal    string    `json:"refusal,omitempty"`
	RefusedAt  time.Time `json:"refusedAt,omitzero"`
}

// ToWitnessState is a witnessed log as answered.
func ToWitnessState(w *store.WitnessedLog) *WitnessStateJSON {
	return &WitnessStateJSON{Witness: w.Witness, Origin: w.Origin, LogKey: w.LogKey, Size: w.Size, CosignedAt: w.CosignedAt, Refusal: w.Refusal, RefusedAt: w.RefusedAt}
}

// ErrNoWitnessKey: the server was started without --witness-key.
var ErrNoWitnessKey = errors.New("this server has no witness key: start it with --witness-key FILE (from 'siegel ledger witness-key')")

// WitnessName is the name of this server's witness key, or ErrNoWitnessKey.
func (s *Deps) WitnessName() (string, error) {
	if s.WitnessKey == "" {
		return "", ErrNoWitnessKey
	}
	w, err := ledger.WitnessOf(s.WitnessKey)
	if err != nil {
		return "", fmt.Errorf("witness key: %w", err)
	}
	return w.Name, nil
}

// witnessStateOf is the state of the log the manufacturer's statements are in, as this server's
// witness holds it: a log the manufacturer pushed, else this server's own log. nil when never
// witnessed or when the server has no witness key.
func (s *Deps) witnessStateOf(ctx context.Context, manufacturer int64) (*WitnessStateJSON, error) {
	name, err := s.WitnessName()
	if err != nil {
		return nil, nil
	}
	w, err := s.Store.WitnessedLogOfOrganization(ctx, name, manufacturer)
	if errors.Is(err, store.ErrNotFound) {
		_, cp, _, cerr := s.Store.LedgerCheckpoint(ctx)
		if cerr != nil {
			return nil, cerr
		}
		w, err = s.Store.WitnessedLogByOrigin(ctx, name, cp.Origin)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ToWitnessState(w), nil
}

package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/ledger"
	"github.com/siegel-oss/siegel/internal/server/app"
)

// AuthorityPush is app.AuthorityPush: the configuration lives with the dependencies the handlers share.
type AuthorityPush = app.AuthorityPush

// PushResult is what one push achieved.
type PushResult struct {
	Origin string
	Size   int64
	From   int64
	// Cosignature is the authority witness's line, verified and kept with the checkpoint.
	Cosignature string
}

// ErrPushRefused wraps the authority's refusal to cosign, with its reason.
var ErrPushRefused = errors.New("the authority refused to cosign")

// PushLedger sends this server's latest signed checkpoint, with the consistency proof from the
// size the authority last cosigned, to the authority's server, checks the cosignature it returns
// against the configured witness key and keeps it (served from then on with the checkpoint).
func (s *Server) PushLedger(ctx context.Context) (PushResult, error) {
	cfg := s.AuthorityPush
	if cfg.URL == "" || cfg.Token == "" || cfg.Witness == "" {
		return PushResult{}, errors.New("authority push: the authority's URL, a token and its witness key are all required")
	}
	witness, err := ledger.ParseWitness(cfg.Witness)
	if err != nil {
		return PushResult{}, fmt.Errorf("authority push: %w", err)
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	base := strings.TrimRight(cfg.URL, "/")
	signed, cp, vkey, err := s.Store.LedgerCheckpoint(ctx)
	if err != nil {
		return PushResult{}, err
	}
	res := PushResult{Origin: cp.Origin, Size: cp.Size}
	var state app.WitnessStateJSON
	if err := pushCall(ctx, client, "GET", base+"/api/v1/authority/witness/state?origin="+url.QueryEscape(cp.Origin), cfg.Token, nil, &state); err != nil {
		return res, err
	}
	// A log shorter than what the authority cosigned is pushed all the same: the authority, not
	// this server, judges it and keeps its refusal.
	res.From = state.Size
	proof := []string{}
	if state.Size > 0 && state.Size < cp.Size {
		hs, err := s.Store.LedgerTreeProof(ctx, state.Size, cp.Size)
		if err != nil {
			return res, err
		}
		for _, h := range hs {
			proof = append(proof, base64.StdEncoding.EncodeToString(h[:]))
		}
	}
	body, _ := json.Marshal(map[string]any{"checkpoint": signed, "logKey": vkey, "from": state.Size, "proof": proof})
	var out struct {
		Cosignature string `json:"cosignature"`
	}
	if err := pushCall(ctx, client, "POST", base+"/api/v1/authority/witness", cfg.Token, body, &out); err != nil {
		return res, err
	}
	if _, err := ledger.VerifyCosignatures(signed+out.Cosignature, cp, []ledger.Witness{witness}); err != nil {
		return res, fmt.Errorf("authority push: the cosignature returned does not verify with the configured witness key: %w", err)
	}
	if err := s.Store.AddCosignature(ctx, cp.Size, witness.Name, out.Cosignature); err != nil {
		return res, err
	}
	res.Cosignature = out.Cosignature
	return res, nil
}

func pushCall(ctx context.Context, client *http.Client, method, u, token string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("authority push: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("authority push: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e apiError
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		if resp.StatusCode == http.StatusConflict {
			return fmt.Errorf("%w: %s", ErrPushRefused, msg)
		}
		return fmt.Errorf("authority push: %s %s: %s: %s", method, u, resp.Status, msg)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("authority push: the answer of %s is not JSON: %w", u, err)
	}
	return nil
}

// RunAuthorityPush pushes the ledger to the authority now and then at every interval until ctx
// ends; each failure is logged and retried at the next tick.
func (s *Server) RunAuthorityPush(ctx context.Context) {
	every := s.AuthorityPush.Interval
	if every <= 0 {
		every = 10 * time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if res, err := s.PushLedger(ctx); err != nil {
			s.Log.Error("ledger push to the authority", "err", err)
		} else {
			s.Log.Info("ledger cosigned by the authority", "origin", res.Origin, "size", res.Size)
			if recs, err := s.PushRecords(ctx); err != nil {
				s.Log.Error("records push to the authority", "err", err)
			} else if len(recs) > 0 {
				s.Log.Info("records kept by the authority", "products", len(recs), "size", recs[0].Size)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

package app

import (
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/store"
	"github.com/siegel-oss/siegel/internal/vulndb"
)

// DBState is the vulnerability database and its update jobs, for the API and the status page.
type DBState struct {
	Status  *vulndb.Status `json:"status,omitempty"`
	Empty   bool           `json:"empty"`
	Updates []jobJSON      `json:"updates"`
	Queue   *QueueState    `json:"queue,omitempty"`
}

type jobJSON struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"`
	Progress  string    `json:"progress,omitempty"`
	LastError string    `json:"lastError,omitempty"`
	RunAfter  time.Time `json:"runAfter"`
	CreatedAt time.Time `json:"createdAt"`
	Finished  time.Time `json:"finishedAt,omitzero"`
}

// DBState is the vulnerability database's state and its recent updates.
func (s *Deps) DBState(r *http.Request) (*DBState, error) {
	st := &DBState{Updates: []jobJSON{}}
	if s.VulnDB != "" {
		db, done, err := s.OpenVulnDB(r.Context())
		switch {
		case errors.Is(err, vulndb.ErrNoDatabase):
			st.Empty = true
		case err != nil:
			return nil, err
		default:
			st.Status, err = db.Status(r.Context())
			done()
			if err != nil {
				return nil, err
			}
			st.Status.Path = "" // a server path is nobody's business
			// Where the server's files sit is nobody's business: names keep only their last part.
			for i := range st.Status.Feeds {
				if o := &st.Status.Feeds[i].Origin; !strings.Contains(*o, "://") {
					*o = HidePath(*o)
				}
			}
			for i := range st.Status.Problems {
				p := &st.Status.Problems[i]
				p.Source = HidePath(p.Source)
				if file, rest, ok := strings.Cut(p.Err, ": "); ok {
					p.Err = HidePath(file) + ": " + rest
				}
			}
		}
	}
	jobs, err := s.Store.Jobs(r.Context(), "db-update", 20)
	if err != nil {
		return nil, err
	}
	if st.Queue, err = s.QueueState(r.Context()); err != nil {
		return nil, err
	}
	for _, j := range jobs {
		st.Updates = append(st.Updates, jobJSON{ID: j.ID, Kind: j.Kind, State: j.State, Attempts: j.Attempts, Progress: j.Progress,
			LastError: j.LastError, RunAfter: j.RunAfter, CreatedAt: j.CreatedAt, Finished: j.FinishedAt})
	}
	return st, nil
}

// HidePath keeps what precedes a path in s ("osv:dir:") and the path's last element.
func HidePath(s string) string {
	i := strings.IndexAny(s, `/\`)
	if i < 0 {
		return s
	}
	if j := strings.LastIndexByte(s[:i], ':'); j >= 0 {
		return s[:j+1] + filepath.Base(s[j+1:])
	}
	return filepath.Base(s)
}

// QueueTest queues a test notification to an organization's channel.
func (s *Deps) QueueTest(r *http.Request, org int64, orgName string, channel int64) error {
	e, err := s.testEvent(r.Context(), org, orgName, channel)
	if err != nil {
		return err
	}
	payload, _ := json.Marshal(e)
	if err := s.Store.QueueTestNotification(r.Context(), org, channel, store.Event{ID: e.ID, Payload: payload}); err != nil {
		return err
	}
	s.Wake()
	return nil
}

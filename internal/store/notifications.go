package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Channel is where an organization's notifications go: a webhook URL (signed with Secret) or an
// e-mail address.
type Channel struct {
	ID           int64
	Organization int64
	Kind         string // webhook, email
	Target       string
	Secret       string
	Events       []string // subscribed event kinds; empty: all
	Product      int64    // the one product the channel follows; 0: every product
	CreatedAt    time.Time
}

// receives reports whether the channel takes an event of the kind about the product (0 for an
// event about no particular product, which only channels following every product take).
func (c Channel) receives(kind string, product int64) bool {
	return (len(c.Events) == 0 || slices.Contains(c.Events, kind)) && (c.Product == 0 || c.Product == product)
}

// AddChannel adds a notification channel after checking its target.
func (s *DB) AddChannel(ctx context.Context, c Channel) (*Channel, error) {
	switch c.Kind {
	case "webhook":
		u, err := url.Parse(c.Target)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("webhook target %q: give an http(s) URL", c.Target)
		}
		if len(c.Secret) < 16 {
			return nil, fmt.Errorf("webhook secret: at least 16 characters")
		}
	case "email":
		a, err := mail.ParseAddress(c.Target)
		if err != nil || a.Name != "" {
			return nil, fmt.Errorf("e-mail target %q: give a plain address such as psirt@example.com", c.Target)
		}
		c.Secret = ""
	default:
		return nil, fmt.Errorf("channel kind %q: choose webhook or email", c.Kind)
	}
	for _, e := range c.Events {
		if !slices.Contains(EventKinds, e) {
			return nil, fmt.Errorf("event kind %q: choose from %v", e, EventKinds)
		}
	}
	c.CreatedAt = s.now()
	var product any
	if c.Product != 0 {
		product = c.Product
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if c.Product != 0 {
			var org int64
			if err := tx.QueryRowContext(ctx, s.rebind(`SELECT organization FROM product WHERE id = ?`), c.Product).Scan(&org); err != nil || org != c.Organization {
				return fmt.Errorf("product %d: %w", c.Product, ErrNotFound)
			}
		}
		if err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO notification_channel (organization, kind, target, secret, events, product, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			c.Organization, c.Kind, c.Target, c.Secret, strings.Join(c.Events, ","), product, c.CreatedAt).Scan(&c.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, c.Organization, "channel.add", fmt.Sprintf("channel/%d", c.ID), c.Kind+" "+c.Target)
	})
	if err != nil {
		return nil, fmt.Errorf("add channel: %w", err)
	}
	return &c, nil
}

// RemoveChannel stops notifications to a channel of the organization; its history stays.
func (s *DB) RemoveChannel(ctx context.Context, org, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.rebind(`UPDATE notification_channel SET removed_at = ? WHERE id = ? AND organization = ? AND removed_at IS NULL`), s.now(), id, org)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return s.audit(ctx, tx, org, "channel.remove", fmt.Sprintf("channel/%d", id), "")
	})
}

const channelColumns = `c.id, c.organization, c.kind, c.target, c.secret, c.events, COALESCE(c.product, 0), c.created_at`

func scanChannels(rows *sql.Rows, err error) ([]Channel, error) {
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []Channel
	for rows.Next() {
		var c Channel
		var events string
		if err := rows.Scan(&c.ID, &c.Organization, &c.Kind, &c.Target, &c.Secret, &events, &c.Product, &c.CreatedAt); err != nil {
			return nil, err
		}
		if events != "" {
			c.Events = strings.Split(events, ",")
		}
		c.CreatedAt = c.CreatedAt.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// Channels lists the active channels of an organization.
func (s *DB) Channels(ctx context.Context, org int64) ([]Channel, error) {
	return scanChannels(s.sql.QueryContext(ctx, s.rebind(`SELECT `+channelColumns+` FROM notification_channel c
		WHERE c.organization = ? AND c.removed_at IS NULL ORDER BY c.id`), org))
}

func (s *DB) releaseChannels(ctx context.Context, tx *sql.Tx, release int64) ([]Channel, error) {
	return scanChannels(tx.QueryContext(ctx, s.rebind(`SELECT `+channelColumns+` FROM notification_channel c
		JOIN product p ON p.organization = c.organization JOIN release r ON r.product = p.id
		WHERE r.id = ? AND c.removed_at IS NULL ORDER BY c.id`), release))
}

// QueueTestNotification queues an event of kind "test" to a channel of the organization.
func (s *DB) QueueTestNotification(ctx context.Context, org, channel int64, ev Event) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.rebind(`SELECT count(*) FROM notification_channel WHERE id = ? AND organization = ? AND removed_at IS NULL`), channel, org).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		return s.queueNotification(ctx, tx, channel, "test", ev)
	})
}

// queueNotification records a notification and the job that delivers it.
func (s *DB) queueNotification(ctx context.Context, tx *sql.Tx, channel int64, kind string, ev Event) error {
	var id int64
	err := tx.QueryRowContext(ctx, s.rebind(`INSERT INTO notification (channel, event_id, kind, payload, state, created_at) VALUES (?, ?, ?, ?, 'pending', ?)
		ON CONFLICT (channel, event_id) DO NOTHING RETURNING id`), channel, ev.ID, kind, string(ev.Payload), s.now()).Scan(&id)
	if err == sql.ErrNoRows {
		return nil // queued before
	}
	if err != nil {
		return err
	}
	_, err = s.enqueue(ctx, tx, "deliver", map[string]int64{"notification": id}, fmt.Sprintf("deliver/%d", id), time.Time{}, false)
	return err
}

// Notification is one event for one channel and the state of its delivery.
type Notification struct {
	ID          int64
	Channel     Channel
	EventID     string
	Kind        string
	Payload     []byte
	State       string // pending, delivered, failed
	Attempts    int
	LastError   string
	CreatedAt   time.Time
	DeliveredAt time.Time
}

const notificationColumns = `n.id, n.event_id, n.kind, n.payload, n.state, n.attempts, n.last_error, n.created_at, n.delivered_at, ` + channelColumns

func scanNotifications(rows *sql.Rows, err error) ([]Notification, error) {
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		var payload, events string
		var delivered sql.NullTime
		c := &n.Channel
		if err := rows.Scan(&n.ID, &n.EventID, &n.Kind, &payload, &n.State, &n.Attempts, &n.LastError, &n.CreatedAt, &delivered,
			&c.ID, &c.Organization, &c.Kind, &c.Target, &c.Secret, &events, &c.Product, &c.CreatedAt); err != nil {
			return nil, err
		}
		n.Payload, n.CreatedAt, n.DeliveredAt = []byte(payload), n.CreatedAt.UTC(), delivered.Time.UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}

// NotificationByID returns a notification with its channel.
func (s *DB) NotificationByID(ctx context.Context, id int64) (*Notification, error) {
	ns, err := scanNotifications(s.sql.QueryContext(ctx, s.rebind(`SELECT `+notificationColumns+` FROM notification n
		JOIN notification_channel c ON c.id = n.channel WHERE n.id = ?`), id))
	if err != nil {
		return nil, err
	}
	if len(ns) == 0 {
		return nil, ErrNotFound
	}
	return &ns[0], nil
}

// Notifications lists an organization's newest notifications first.
func (s *DB) Notifications(ctx context.Context, org int64, limit int) ([]Notification, error) {
	return scanNotifications(s.sql.QueryContext(ctx, s.rebind(`SELECT `+notificationColumns+` FROM notification n
		JOIN notification_channel c ON c.id = n.channel WHERE c.organization = ? ORDER BY n.id DESC LIMIT ?`), org, limit))
}

// RecordDelivery notes one delivery attempt: delivered when cause is nil, else pending (to be
// retried) or, when final, failed.
func (s *DB) RecordDelivery(ctx context.Context, id int64, cause error, final bool) error {
	state, msg := "delivered", ""
	var at any
	if cause != nil {
		state, msg = "pending", cause.Error()
		if final {
			state = "failed"
		}
	} else {
		at = s.now()
	}
	_, err := s.sql.ExecContext(ctx, s.rebind(`UPDATE notification SET state = ?, attempts = attempts + 1, last_error = ?, delivered_at = ? WHERE id = ?`), state, msg, at, id)
	return mapError(err)
}

// QueueOrgEvent queues an event about a product (0: none in particular) to every channel of the
// organization that takes it. An event id already queued to a channel is not queued again, so a
// caller may derive ids from what they announce and call this as often as it likes.
func (s *DB) QueueOrgEvent(ctx context.Context, org, product int64, kind string, ev Event) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		chans, err := scanChannels(tx.QueryContext(ctx, s.rebind(`SELECT `+channelColumns+` FROM notification_channel c
			WHERE c.organization = ? AND c.removed_at IS NULL ORDER BY c.id`), org))
		if err != nil {
			return err
		}
		for _, ch := range chans {
			if ch.receives(kind, product) {
				if err := s.queueNotification(ctx, tx, ch.ID, kind, ev); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

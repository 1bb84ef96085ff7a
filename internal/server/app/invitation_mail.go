package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/store"
)

// invitationMailTimeout bounds the SMTP session of one invitation, which runs inside the
// administrator's request.
const invitationMailTimeout = 30 * time.Second

// invitationSent is what became of an invitation link: e-mailed to the invitee, or to be passed
// on by the administrator (Why says why it was not sent, "" when no SMTP server is configured).
type invitationSent struct {
	Emailed bool
	Why     string
}

// MailInvitation e-mails the invitation link to the invitee when the server has an SMTP server
// and a configured public address (a link sent away must not name whatever host the request
// named). The secret is not stored anywhere, so the mail is sent now, not queued: when sending
// fails, the link is shown to the administrator once, with the reason.
func (s *Deps) MailInvitation(ctx context.Context, org string, invitee *store.User, inviter, link string, expires time.Time) invitationSent {
	if s.Mailer == nil {
		return invitationSent{}
	}
	if s.BaseURL == "" {
		return invitationSent{Why: "not e-mailed: the server has no public address; start it with --base-url so that links sent by e-mail name it"}
	}
	ctx, cancel := context.WithTimeout(ctx, invitationMailTimeout)
	defer cancel()
	msg := notify.Message{
		ID:      "invitation." + strconv.FormatInt(invitee.ID, 10) + "." + strconv.FormatInt(s.Now().Unix(), 10),
		Subject: "Your account at " + org + " in Siegel",
		Body: fmt.Sprintf("%s invited you to %s in Siegel, as %s.\n\nSet your password through this link. It works once, until %s:\n\n%s\n\n"+
			"If you did not expect this invitation, ignore this e-mail: without the link nobody can set the password, and the invitation lapses.\n",
			inviter, org, invitee.Role, expires.UTC().Format("2006-01-02 15:04 UTC"), link),
	}
	if err := s.Mailer.Send(ctx, invitee.Email, msg); err != nil {
		s.Log.Warn("invitation not e-mailed; the link was shown to the administrator", "user", invitee.Email, "err", err)
		why := "the SMTP server refused it or could not be reached"
		if errors.Is(err, context.DeadlineExceeded) {
			why = "the SMTP server did not answer in time"
		}
		return invitationSent{Why: "not e-mailed: " + why + " (see the server log)"}
	}
	return invitationSent{Emailed: true}
}

// inviteText says what became of the link, for the page and the API.
func (i invitationSent) Text(email string) string {
	switch {
	case i.Emailed:
		return "The invitation link was e-mailed to " + email + "; it works once, for 7 days."
	case i.Why != "":
		return strings.ToUpper(i.Why[:1]) + i.Why[1:] + ". Send this link to " + email + " yourself; it works once, for 7 days, and is not shown again:"
	}
	return ""
}

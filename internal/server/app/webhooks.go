package app

import (
	"github.com/siegel-oss/siegel/internal/notify"
	"github.com/siegel-oss/siegel/internal/store"
)

// CheckChannelTarget refuses, when a channel is saved, a webhook whose URL names an address the
// server may not reach (see notify.AddressPolicy; deliveries check again at connect time).
func (s *Deps) CheckChannelTarget(kind, target string) error {
	if kind != "webhook" {
		return nil
	}
	return notify.AddressPolicy{Allow: s.WebhookAllow}.CheckURL(target)
}

// RedactDeliveries leaves in the delivery errors of ns what role may see: what a receiver
// answered is for administrators only (it may be an internal service's page).
func RedactDeliveries(ns []store.Notification, role string) {
	if role == "admin" {
		return
	}
	for i := range ns {
		ns[i].LastError = notify.WithoutReply(ns[i].LastError)
	}
}

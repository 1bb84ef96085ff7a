package app

import (
	"sync"

	"github.com/siegel-oss/siegel/internal/rollout/delivery"
	"github.com/siegel-oss/siegel/internal/server/device"
)

// fleet is the server's rollout service and its device side (package device), made once.
type fleet struct {
	once    sync.Once
	svc     *delivery.Service
	devices *device.API
}

// Delivery is the rollout service, made on first use.
func (s *Deps) Delivery() *delivery.Service {
	s.fleet.once.Do(func() {
		s.fleet.svc = &delivery.Service{Store: s.Store, TargetsKey: s.Rollout.TargetsKey, Expiry: s.Rollout.Expiry, Now: s.Now, Log: s.Log}
		s.fleet.devices = device.New(device.Config{Store: s.Store, Delivery: s.fleet.svc, Now: s.Now, Fail: s.Fail})
	})
	return s.fleet.svc
}

// Devices is the device side: the endpoints devices call and the update repository.
func (s *Deps) Devices() *device.API {
	s.Delivery()
	return s.fleet.devices
}

package labnet

import (
	"context"
	"errors"
)

func (l *Lab) configureHardened(ctx context.Context) ([]daemon, error) {
	return nil, errors.New("labnet: hardened profile not built yet")
}

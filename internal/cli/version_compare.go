package cli

import (
	"context"
	"errors"
)

func versionCompareCommand() *Command {
	return &Command{
		Name:    "compare",
		Args:    "ECOSYSTEM [A B]",
		Summary: "compare two versions under an ecosystem's rules",
		Run: func(ctx context.Context, env *Env, args []string) error {
			return errors.New("TODO")
		},
	}
}

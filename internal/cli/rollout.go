package cli

func rolloutCommand() *Command {
	return &Command{
		Name:    "rollout",
		Summary: "staged update rollouts: waves, statistical gates, halts and rollbacks",
		Help: `A rollout releases an update wave by wave; a sequential test on the devices' outcomes (silence
counts as failure) decides whether the next wave may start, halts a bad update and rolls it back.
Every decision is written to the ledger, and 'siegel rollout replay' recomputes them.`,
		Example: "siegel rollout plan --org ACME --product HomeRouter --version 4.3.0 --waves 10,1%,10%\nsiegel rollout status --org ACME 12\nsiegel rollout replay rollouts.bundle.json",
		Sub:     append(rolloutDeliveryCommands(), rolloutReplayCommand()),
	}
}

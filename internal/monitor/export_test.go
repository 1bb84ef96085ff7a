package monitor

// SetInputRead installs f to be called once a full matching has read a release's components,
// before it matches them: tests pause a job there to change its input under it.
func SetInputRead(m *Monitor, f func(release int64)) { m.inputRead = f }

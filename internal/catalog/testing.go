package catalog

// RegisterForTest adds (or temporarily replaces) a control so tests of packages that render
// controls (reports, documentation) do not depend on the real catalog's contents. The returned
// function restores the previous state. It is meant for tests only: the registry is not safe for
// concurrent modification, so do not call it from parallel tests.
func RegisterForTest(c Control) (unregister func()) {
	prev, had := registry[c.ID]
	registry[c.ID] = c
	return func() {
		if had {
			registry[c.ID] = prev
		} else {
			delete(registry, c.ID)
		}
	}
}

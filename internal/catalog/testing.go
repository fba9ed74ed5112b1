package catalog

// RegisterForTest adds a control to the catalog for the duration of a test and returns a function
// that removes it again. It applies the same checks as the catalog's own registrations (a
// duplicate or incomplete control panics). It is meant for tests only: the catalog is not safe for
// concurrent modification, so do not call it from parallel tests.
func RegisterForTest(c Control) (unregister func()) {
	register(c)
	return func() { delete(registry, c.ID) }
}

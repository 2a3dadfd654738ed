"""Small helpers shared across augury: atomic file writes, seeding."""

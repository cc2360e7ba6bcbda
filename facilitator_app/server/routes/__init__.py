"""One router per area: auth, sync, reports, status."""

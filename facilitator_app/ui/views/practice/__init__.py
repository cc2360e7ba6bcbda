"""The Practice screen's tabs, one per file; each takes a PracticeBundle and edits through ops."""

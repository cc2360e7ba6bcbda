"""Domain types, validation, the toolkit loader and the hybrid logical clock.

Nothing here imports Qt or touches SQL: the store, the server, the reports and the GUI all
build on these plain types.
"""

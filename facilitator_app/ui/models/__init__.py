"""Qt item models over plain store rows; testable without a window."""

"""pytest configuration for the whole suite; shared helpers live in tests/support.py
(imported as ``tests.support``: tests/tui has a conftest of its own, so "conftest" is ambiguous)."""

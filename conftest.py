"""Shared pytest setup: the ML test-file collector lives in tests/language/conftest.py."""

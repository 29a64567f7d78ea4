"""Observability: what a running mlpy tells its operators (logging here; metrics and tracing
in modules of their own, each loaded only by the applications that use it)."""

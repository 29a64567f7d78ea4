"""Integrations of mlpy with other tools (Pygments syntax highlighting, ...)."""

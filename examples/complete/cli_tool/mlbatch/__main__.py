"""``python -m mlbatch`` runs the same command as the installed ``mlbatch`` script."""

from __future__ import annotations

from mlbatch.cli import main

main()

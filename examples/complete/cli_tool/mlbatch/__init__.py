"""mlbatch: check batches of CSV and JSON files against business rules written in ML."""

from __future__ import annotations

from mlbatch.batch import Batch, Config, ConfigError, FileOutcome, load_config

__all__ = ["Batch", "Config", "ConfigError", "FileOutcome", "load_config"]

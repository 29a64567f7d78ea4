"""Where mlpy is installed its pytest plugin (the ``pytest11`` entry point ``mlpy``) provides
the ``ml_*`` fixtures; importing them here lets this example run from a source checkout
where the entry point is not installed yet (a conftest's fixtures take precedence over a
plugin's of the same name, so both ways give the same fixtures)."""

from mlpy.testing.plugin import (  # noqa: F401
    ml_async_engine, ml_audit, ml_caps, ml_engine, ml_session, ml_tmp_sandbox,
)

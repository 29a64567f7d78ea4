"""The REPL's development commands and what they need: hot reload, the performance and
memory reports, file watching and development mode.

``.reload`` asks the registry for the new version of a module, then makes the session use it:
every import-table binding that still holds the old module object gets the new one (a
package bound by ``import a.b;`` is rebuilt along its path), an ML module's top level runs
again in a new namespace, and the ML modules loaded in the session that import it run again
after it, so the very next input uses the new code without another ``import``. A reload that
fails changes nothing. ``.watch`` runs a watcher thread that only queues requests; the
session applies them on its own thread (:meth:`MLREPLSession.apply_pending_reloads`), so a
reload never runs at the same time as ML code.

One module per concern: :mod:`.state` (development mode), :mod:`.reload`, :mod:`.perfmon`,
:mod:`.memreport`, :mod:`.watch` and :mod:`.timings`; importing this package registers
their commands.
"""

from mlpy.repl.dev.memreport import memory_report, ml_footprints
from mlpy.repl.dev.perfmon import perf_report
from mlpy.repl.dev.reload import reload_module
from mlpy.repl.dev.state import dev_state, set_dev_mode
from mlpy.repl.dev.timings import module_timings, record_statement
from mlpy.repl.dev.watch import apply_pending_reloads

__all__ = [
    "apply_pending_reloads", "dev_state", "memory_report", "ml_footprints", "module_timings",
    "perf_report", "record_statement", "reload_module", "set_dev_mode",
]

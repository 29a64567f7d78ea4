"""Observability: what a running mlpy tells its operators.

:mod:`mlpy.observability.logging` configures the ``mlpy`` logger tree.
:mod:`mlpy.observability.events` is the hook point the engine, sessions, callbacks, the
async workers, the sandbox and the capability gate report to; it imports nothing optional
and costs one flag test when nothing listens. :mod:`mlpy.observability.prometheus` (extra
``mlpy[prometheus]``) and :mod:`mlpy.observability.otel` (extra ``mlpy[otel]``) turn the
events into metrics and spans once installed. Each is loaded only by the applications that
use it.
"""

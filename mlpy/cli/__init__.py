"""The ``mlpy`` command line (click). Uses only the public API."""

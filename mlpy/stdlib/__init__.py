"""The ML standard library: one ``*_bridge.py`` file per module, written with ``mlpy.ext``."""

"""Notify: the right person hears about it once, on the right channel, in their language."""

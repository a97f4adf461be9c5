"""Code shared by every service: contracts, settings, clock, calendar, messaging, storage.

Never imports from ``services``.
"""

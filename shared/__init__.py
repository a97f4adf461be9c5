"""Code shared by every service: contracts, settings, clock, calendar, messaging and storage helpers.

Never imports from ``services``.
"""

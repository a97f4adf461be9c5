"""Development stand-ins: the local stack, SMTP and SMS servers, kcat wrapper, platform runner."""

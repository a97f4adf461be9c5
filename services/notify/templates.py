"""Jinja2 templates per template name, channel and locale: ``<template>/<channel>.<locale>.j2``.

A template defines ``{% block subject %}`` (email, inbox) and ``{% block body %}``. The inbox
uses the email template when it has none of its own; a locale without a file falls back to the
default locale. Undefined variables are errors (StrictUndefined): a message is never sent half
empty; the handler raises PermanentError and the event goes to the dead-letter topic.

Departments edit these files, so they are rendered in Jinja's immutable sandbox: a template can
read the context it is given, but not reach Python internals (``''.__class__.__mro__``,
``cycler.__init__.__globals__``) nor change the objects it is handed. Such a template fails like
any broken one (PermanentError, dead letter), and nothing is sent.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from services.notify.domain import ChannelName
from services.notify.ports import Rendered
from shared.clock import SHANGHAI
from shared.kafka import PermanentError


class JinjaRenderer:
    def __init__(self, directory: str | Path, default_locale: str = "zh-CN") -> None:
        self.directory = Path(directory)
        self.default_locale = default_locale
        self.env = ImmutableSandboxedEnvironment(
            loader=jinja2.FileSystemLoader(str(self.directory)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=True,  # departments edit the files; picked up without a restart
        )
        self.env.filters["localtime"] = localtime

    def _candidates(self, template: str, channel: ChannelName, locale: str) -> list[str]:
        channels = [channel.value] + (["email"] if channel is ChannelName.INBOX else [])
        locales = [locale] + ([self.default_locale] if locale != self.default_locale else [])
        return [f"{template}/{c}.{loc}.j2" for loc in locales for c in channels]

    def render(
        self, template: str, channel: ChannelName, locale: str, context: dict[str, Any]
    ) -> Rendered:
        names = self._candidates(template, channel, locale)
        try:
            tpl = self.env.select_template(names)
        except jinja2.TemplatesNotFound as exc:
            raise PermanentError(f"template error: none of {names} exists") from exc
        except jinja2.TemplateSyntaxError as exc:
            raise PermanentError(
                f"template error: syntax in {exc.name or tpl_name(names)} line {exc.lineno}: "
                f"{exc.message}"
            ) from exc
        try:
            ctx = tpl.new_context(dict(context))
            subject = "".join(tpl.blocks["subject"](ctx)).strip() if "subject" in tpl.blocks else ""
            if "body" in tpl.blocks:
                body = "".join(tpl.blocks["body"](ctx)).strip()
            else:
                body = tpl.render(context).strip()
        except jinja2.UndefinedError as exc:
            raise PermanentError(f"template error in {tpl.name}: {exc.message}") from exc
        except jinja2.TemplateError as exc:  # the sandbox's SecurityError among them
            raise PermanentError(f"template error in {tpl.name}: {exc}") from exc
        except Exception as exc:  # a template that divides by zero or calls with bad arguments
            raise PermanentError(
                f"template error in {tpl.name}: {type(exc).__name__}: {exc}"
            ) from exc
        if not body:
            raise PermanentError(f"template error in {tpl.name}: empty body")
        return Rendered(subject=subject, body=body)


def localtime(value: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Deadlines and times are shown in Beijing time, as applicants and officers read them."""
    return value.astimezone(SHANGHAI).strftime(fmt)


def tpl_name(names: list[str]) -> str:
    return names[0] if names else "?"

"""Reference data shared by services: regions and department codes."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict


class Department(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    region: str
    name: str
    name_en: str
    inspection_office: bool = False


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("departments.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def departments() -> dict[str, Department]:
    return {d["code"]: Department.model_validate(d) for d in _data()["departments"]}


def regions() -> dict[str, str]:
    return {code: r["name"] for code, r in _data()["regions"].items()}


def inspection_office(region: str) -> Department | None:
    return next(
        (d for d in departments().values() if d.region == region and d.inspection_office), None
    )

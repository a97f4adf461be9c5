"""Object-store settings: the published s3rver credentials never run in production, and the
bucket layout accepts only upload ids as names (no path of a caller's choosing)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.approval.settings import ApprovalSettings
from services.intake.settings import IntakeSettings
from shared.objectstore import material_key
from tests.support.production import PRODUCTION


@pytest.mark.parametrize("settings_class", [IntakeSettings, ApprovalSettings])
@pytest.mark.parametrize("setting", ["object_store_access_key", "object_store_secret_key"])
def test_production_refuses_the_development_credentials(
    settings_class: type[IntakeSettings] | type[ApprovalSettings], setting: str
) -> None:
    values = {k: v for k, v in PRODUCTION.items() if k != setting}
    with pytest.raises(ValidationError, match=f"EGOV_{setting.upper()}") as refused:
        settings_class(**values)
    assert str(refused.value).count("EGOV_") == 1, "only the broken setting is named"
    settings_class(**PRODUCTION)  # complete: starts


def test_secrets_do_not_print() -> None:
    settings = IntakeSettings(**PRODUCTION)
    assert "s" * 40 not in repr(settings) and "s" * 40 not in str(settings.model_dump())


def test_declared_upload_hashes_are_off_in_production_and_on_in_development() -> None:
    assert IntakeSettings().declared_hashes_allowed
    assert not IntakeSettings(**PRODUCTION).declared_hashes_allowed
    assert not IntakeSettings(declared_upload_hashes=False).declared_hashes_allowed
    with pytest.raises(ValidationError, match="EGOV_DECLARED_UPLOAD_HASHES"):
        IntakeSettings(**PRODUCTION | {"declared_upload_hashes": True})


@pytest.mark.parametrize("bad", ["../etc/passwd", "up-short", "up-" + "a" * 30 + "/x", ""])
def test_an_object_key_is_made_of_an_upload_id_only(bad: str) -> None:
    with pytest.raises(ValueError, match="not an upload id"):
        material_key(bad)
    assert material_key("up-" + "A_b-" * 8) == "materials/up-" + "A_b-" * 8

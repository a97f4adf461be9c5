"""Contact details in the officer directory are checked where they enter: the file at start
(naming the bad entry) and the admin API (422 naming the field)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.notify.bootstrap import chaining_of, load_directory_if_newer, read_directory_file
from services.notify.domain import Officer
from services.notify.settings import NotifySettings
from shared.clock import FixedClock
from tests.support.admin_log import MemoryAdminLog
from tests.unit.notify.notify_fakes import MemoryDirectory
from tests.unit.notify.notify_world import NOON

NOON_CLOCK = FixedClock(NOON)
GOOD = {
    "id": "cq-ok-1",
    "name": "王芳",
    "department": "500000-SCJ",
    "roles": ["handler"],
    "email": "wang.fang@scj.cq.gov.example.cn",
    "phone": "13800000101",
}


def directory_file(tmp_path: Path, *officers: dict[str, object]) -> Path:
    path = tmp_path / "directory.yaml"
    path.write_text(
        yaml.safe_dump({"version": "2099.1", "officers": list(officers)}, allow_unicode=True),
        encoding="utf-8",
    )
    return path


def test_the_shipped_directory_passes_the_checks() -> None:
    directory = read_directory_file(NotifySettings().directory_file)
    assert len(directory.officers) > 100
    assert all(
        o.phone is None or (o.phone.isdigit() and len(o.phone) == 11) for o in directory.officers
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "13800000"),  # too short for a mainland mobile number
        ("phone", "+14155550123"),  # a valid number, but not a Chinese one
        ("phone", "10086100861"),  # eleven digits that are no number
        ("email", "wang.fang@scj..cn"),
        ("email", "wang fang@scj.cn"),
    ],
)
async def test_a_bad_contact_in_the_file_stops_the_load_naming_the_entry(
    tmp_path: Path, field: str, value: str
) -> None:
    bad = GOOD | {"id": "cq-bad-7", field: value}
    path = directory_file(tmp_path, GOOD, bad)
    store = MemoryDirectory()
    with pytest.raises(ValueError, match=rf"officer 'cq-bad-7' \(entry 2\) {field}"):
        await load_directory_if_newer(
            store, path, chaining_of(NotifySettings(), MemoryAdminLog(), NOON_CLOCK)
        )
    assert await store.all_officers() == []  # nothing half-loaded


async def test_every_bad_entry_is_named_at_once(tmp_path: Path) -> None:
    path = directory_file(
        tmp_path,
        GOOD | {"id": "cq-bad-1", "phone": "12345"},
        GOOD,
        GOOD | {"id": "cq-bad-3", "email": "x@localhost"},
    )
    with pytest.raises(ValueError) as caught:
        read_directory_file(path)
    message = str(caught.value)
    assert str(path) in message and "2 invalid entries" in message
    assert "officer 'cq-bad-1' (entry 1) phone" in message
    assert "officer 'cq-bad-3' (entry 3) email" in message


def test_numbers_are_stored_as_national_digits() -> None:
    for written in ("+86 138 0000 0101", "8613800000101", "138-0000-0101"):
        assert Officer.model_validate(GOOD | {"phone": written}).phone == "13800000101"
    landline = Officer.model_validate(GOOD | {"phone": "023-6388 1234"})
    assert landline.phone == "02363881234"
    assert Officer.model_validate(GOOD | {"email": "Wang@SCJ.Example.CN"}).email == (
        "Wang@scj.example.cn"
    )


def test_an_entry_stored_before_the_checks_keeps_its_good_fields() -> None:
    from services.notify.domain import stored_officer

    officer, dropped = stored_officer(GOOD | {"phone": "123456", "email": "a@b..cn"})
    assert dropped == ["email", "phone"]
    assert (officer.id, officer.email, officer.phone) == ("cq-ok-1", None, None)
    assert stored_officer(GOOD) == (Officer.model_validate(GOOD), [])

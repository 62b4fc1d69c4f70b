"""model.quick_init: a frozen dataclass's __init__ that fills __dict__ at once (issue 15).

Each class it is used on is built both ways, with every field given and with
only the required ones, and the objects must be the same.
"""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime
from typing import Any

import pytest

from scanverify.cose import CoseSign1
from scanverify.formats import ParsedSeal
from scanverify.formats._jws import CompactJws
from scanverify.formats.shc import Card
from scanverify.model import Cause, Fact, Status, VerificationResult, quick_init
from scanverify.verifier import Judgement

CLASSES = [VerificationResult, ParsedSeal, Judgement, CoseSign1, CompactJws, Card]


def _value(field: dataclasses.Field[Any], i: int) -> Any:
    return (f"value {i}", i)  # any object: __init__ stores what it is given


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_quick_init_builds_what_the_dataclass_init_builds(cls: type) -> None:
    original = cls.__init__.dataclass_init  # type: ignore[attr-defined]
    fields = dataclasses.fields(cls)
    every = {f.name: _value(f, i) for i, f in enumerate(fields)}
    required = {
        f.name: every[f.name]
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    for kwargs in (every, required):
        quick = cls(**kwargs)
        slow = cls.__new__(cls)
        original(slow, **kwargs)
        assert quick.__dict__ == slow.__dict__
        assert list(quick.__dict__) == list(slow.__dict__)  # same order: repr, asdict
    positional = cls(*every.values())
    assert positional == cls(**every)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_quick_init_leaves_the_class_frozen(cls: type) -> None:
    fields = dataclasses.fields(cls)
    obj = cls(*(_value(f, i) for i, f in enumerate(fields)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, fields[0].name, "changed")
    with pytest.raises(TypeError):
        cls()  # the required fields are still required


def test_default_factories_give_a_new_object_each_time() -> None:
    at = datetime(2026, 11, 27, tzinfo=UTC)
    first, second = VerificationResult(Status.GENUINE, "r", "s", at), VerificationResult(Status.GENUINE, "r", "s", at)
    assert first.claims == {} and first.claims is not second.claims
    assert first.cause is Cause.NONE and first.facts == ()
    copied = dataclasses.replace(first, facts=(Fact("a", "b"),))
    assert copied.facts == (Fact("a", "b"),) and copied.reason == "r"
    assert pickle.loads(pickle.dumps(copied)) == copied


def test_a_class_it_cannot_copy_exactly_is_left_alone() -> None:
    @dataclasses.dataclass(frozen=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            if self.value < 0:
                raise ValueError("negative")

    @dataclasses.dataclass
    class Mutable:
        value: int

    for cls in (Checked, Mutable):
        init = cls.__init__
        assert quick_init(cls).__init__ is init
    with pytest.raises(ValueError):
        Checked(-1)

"""Serializer fields that take JSON as it was sent.

DRF's CharField turns `123` and `1.5` into "123" and "1.5": a number
where the contract says string is a client's mistake (or a probe), so it is answered
400 `invalid` here instead of being stored as text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rest_framework import serializers
from rest_framework.fields import empty

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_JSON_KINDS = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}


class StringsOnly:
    """Mixin for CharField and its subclasses: only a JSON string (or null, where allowed) passes."""

    default_error_messages: ClassVar[dict[str, StrOrPromise]] = {"not_a_string": "Expected a string, got {kind}."}

    def run_validation(self, data: Any = empty) -> Any:
        if data is not empty and data is not None and not isinstance(data, str):
            self.fail("not_a_string", kind=_JSON_KINDS.get(type(data), "something else"))  # type: ignore[attr-defined]
        return super().run_validation(data)  # type: ignore[misc]


class StrictCharField(StringsOnly, serializers.CharField):
    pass


class StrictRegexField(StringsOnly, serializers.RegexField):
    pass


class StrictEmailField(StringsOnly, serializers.EmailField):
    pass


class StrictUUIDField(StringsOnly, serializers.UUIDField):
    """DRF's UUIDField reads the number 5 as UUID int 5: an id is a string."""

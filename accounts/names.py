"""The one rule for the name a person shows to others (the teacher's grid, cursors,
help cards, exports), wherever it enters: registration, a guest's join, the admin
(users and participants).

Refused: characters that change how the text around them renders or reads (bidi
overrides and isolates, zero-width and other format characters), control characters
(terminal escapes, bells, line breaks), surrogates, private-use and unassigned code
points, letters that render as nothing (Hangul fillers, the braille blank), and a name
of only spaces. Leading and trailing spaces are trimmed.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.fields import empty

from observer.fields import StringsOnly

MAX_LENGTH = 80
# Cc control, Cf format (bidi, zero-width, BOM), Cs surrogate, Co private use,
# Cn unassigned, Zl/Zp line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_BLANK_LETTERS = frozenset({"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"})


class InvalidName(ValueError):
    """Why a display name was refused (a sentence for people)."""


def clean_display_name(value: str) -> str:
    """The name as stored: trimmed, and checked against the rule (InvalidName if not)."""
    name = value.strip()
    if not name:
        raise InvalidName("A name cannot be only spaces.")
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES or char in _BLANK_LETTERS for char in name):
        raise InvalidName(
            "A name cannot contain control or invisible characters (such as direction overrides or zero-width spaces)."
        )
    if not any(unicodedata.category(char)[0] in "LNPS" for char in name):
        raise InvalidName("A name needs at least one visible character.")
    if len(name) > MAX_LENGTH:
        raise InvalidName(f"A name can have at most {MAX_LENGTH} characters.")
    return name


def validate_display_name(value: str) -> None:
    """The rule as a Django validator (the admin's forms)."""
    try:
        clean_display_name(value)
    except InvalidName as error:
        raise DjangoValidationError(str(error), code="invalid") from error


class DisplayNameField(StringsOnly, serializers.CharField):
    """The rule as an API field. With allow_blank, "" means "not given"; a name of only
    spaces is still refused (it is not nothing, it is a name nobody can see)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=MAX_LENGTH, **kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        if isinstance(data, str) and data and not data.strip():
            raise serializers.ValidationError("A name cannot be only spaces.", code="invalid")
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        name = super().to_internal_value(data)
        try:
            return clean_display_name(name)
        except InvalidName as error:
            raise serializers.ValidationError(str(error), code="invalid") from error


class DisplayNameAdminMixin:
    """For ModelAdmins of models with a `display_name`: the same rule in their forms."""

    def formfield_for_dbfield(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        if db_field.name == "display_name" and field is not None:
            field.validators.append(validate_display_name)
        return field

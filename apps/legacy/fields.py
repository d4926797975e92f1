"""Fields for the legacy schema's old habits: padded CHAR keys, Y/N flags, dates as text.

Each maps a column as it is, with no change to the database: the legacy
system's owner defines the schema (docker/legacy/schema.sql), not Django.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db import models


class FixedCharField(models.CharField):
    """A ``CHAR(n)`` column: PostgreSQL pads values with spaces, this trims them.

    ``'MDB-0001'`` in a ``CHAR(10)`` comes back as ``'MDB-0001  '``: equal in
    SQL (``bpchar`` ignores trailing spaces), not in Python. SQLite pads nothing.
    """

    def from_db_value(self, value, expression, connection):
        return value.rstrip(" ") if isinstance(value, str) else value


class FixedCharKeyMixin:
    """A key into a ``FixedCharField`` whose values come back trimmed, as the target's do."""

    def get_db_converters(self, connection):
        return [
            *self.target_field.get_db_converters(connection),
            *super().get_db_converters(connection),
        ]


class FixedCharForeignKey(FixedCharKeyMixin, models.ForeignKey):
    pass


class FixedCharOneToOneField(FixedCharKeyMixin, models.OneToOneField):
    pass


class FixedWidthTextField(models.Field):
    """A Python value kept as text of a known width, in a ``CHAR(width)`` column."""

    width: int

    def __init__(self, *args, **kwargs):
        kwargs["max_length"] = self.width
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        del kwargs["max_length"]
        return name, path, args, kwargs

    def get_internal_type(self):
        return "CharField"  # the column's type, for inspectdb's comparison (apps/legacy/drift.py)


class YesNoField(FixedWidthTextField):
    """A ``CHAR(1)`` flag, ``'Y'`` or ``'N'``, as a bool."""

    description = "A Y/N flag in a CHAR(1) column"
    width = 1

    def from_db_value(self, value, expression, connection):
        return None if value is None else value.strip().upper() == "Y"

    def to_python(self, value):
        if value is None or isinstance(value, bool):
            return value
        return str(value).strip().upper() in {"Y", "TRUE", "1"}

    def get_prep_value(self, value):
        value = self.to_python(value)
        return None if value is None else ("Y" if value else "N")

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": forms.BooleanField, **kwargs})


class CompactDateField(FixedWidthTextField):
    """A date kept as ``CHAR(8)`` text, ``'YYYYMMDD'``, as a ``datetime.date``.

    Text of another shape (the owner's system wrote ``'00000000'`` for
    "never", say) reads as None rather than failing the whole query.
    """

    description = "A date stored as YYYYMMDD text"
    width = 8

    def from_db_value(self, value, expression, connection):
        return _parse_compact(value)

    def to_python(self, value):
        if value is None or isinstance(value, datetime.date):
            return value
        parsed = _parse_compact(str(value))
        if parsed is None:
            raise ValidationError("Enter a date as YYYYMMDD.", code="invalid")
        return parsed

    def get_prep_value(self, value):
        value = self.to_python(value)
        return None if value is None else value.strftime("%Y%m%d")

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": forms.DateField, **kwargs})


def _parse_compact(value: str | None) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(value.strip(), "%Y%m%d").date()
    except (AttributeError, ValueError):
        return None

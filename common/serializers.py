"""Input serializers cheap enough for the hot endpoints' one validator.

DRF's Serializer.get_fields() deep-copies every declared field for every new
serializer, so that a view may change one instance's fields without touching
the class (`self.fields["x"].required = False`). The deep copy re-runs each
field's constructor and copies its validators: about 1 ms for the 18 fields
of a report submission, more than the rest of the validation. An
InputSerializer only reads its input and never changes its fields after the
class is built, so it gives each instance shallow copies of the declared
fields instead (get_fields() is DRF's extension point for this): each copy is
bound to its own serializer (field name, parent), while the validators and
error messages, which validation only reads, stay shared. Validation, error
messages and the OpenAPI schema are DRF's own.
"""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.api_errors import ApiError


class InputSerializer(serializers.Serializer):
    def get_fields(self):
        return {name: _shallow_copy(field) for name, field in self._declared_fields.items()}


def _shallow_copy(field: serializers.Field) -> serializers.Field:
    """copy.copy(field) without its generic reduce protocol (a third of the
    validation's time)."""
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    return clone


def validated(serializer_cls: type[serializers.Serializer], data) -> dict:
    """`data` validated by `serializer_cls`, or the API's `invalid` error
    with DRF's field messages (common.api_errors)."""
    serializer = serializer_cls(data=data)
    if not serializer.is_valid():
        raise ApiError("invalid", _("Data tidak valid: periksa kolom yang ditandai."), fields=serializer.errors)
    return serializer.validated_data

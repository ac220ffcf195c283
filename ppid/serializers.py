"""Input and output shapes of the PPID API. The requester identity is only
written through the API, and read back only by the requester and the
handling PPID (never by anything public)."""
import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.workdays import add_working_days
from geo.models import Agency

from .models import InformationRequest, Objection, Pasal17, RequesterIdentity


class IdentityInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RequesterIdentity.Kind.choices, default=RequesterIdentity.Kind.PERSON)
    name = serializers.CharField(max_length=200)
    id_number = serializers.CharField(max_length=40,
                                      help_text=_("NIK 16 digit atau nomor akta/pengesahan badan hukum."))
    address = serializers.CharField()
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    # No default here: a default of "" is not an e-mail address, which made
    # the OpenAPI document invalid; validate() fills it in.
    email = serializers.EmailField(required=False, allow_blank=True)
    occupation = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["kind"] == RequesterIdentity.Kind.PERSON and not (
                attrs["id_number"].isdigit() and len(attrs["id_number"]) == 16):
            raise serializers.ValidationError({"id_number": [_("NIK terdiri atas 16 digit.")]})
        if not re.fullmatch(r"[0-9A-Za-z./\- ]{6,40}", attrs["id_number"]):
            raise serializers.ValidationError({"id_number": [_("Nomor dokumen badan hukum tidak valid.")]})
        if not attrs.get("phone") and not attrs.get("email"):
            raise serializers.ValidationError({"email": [_("Isi nomor telepon atau alamat surel.")]})
        attrs.setdefault("email", "")
        return attrs


class RequestInput(serializers.Serializer):
    identity = IdentityInput(required=False, help_text=_(
        "Identitas pemohon; boleh dikosongkan bila akun sudah terdaftar sebagai pemohon."))
    information = serializers.CharField(max_length=5000)
    purpose = serializers.CharField(max_length=2000)
    format = serializers.ChoiceField(choices=InformationRequest.Format.choices,
                                     default=InformationRequest.Format.SOFTCOPY)
    delivery = serializers.ChoiceField(choices=InformationRequest.Delivery.choices,
                                       default=InformationRequest.Delivery.EMAIL)
    agency = serializers.SlugRelatedField(slug_field="code", queryset=Agency.objects.filter(is_active=True),
                                          required=False, allow_null=True, default=None)


class RequesterRegistrationInput(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]{3,150}$", max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(min_length=10, max_length=128, write_only=True)
    identity = IdentityInput()


def requester_profile_dict(profile) -> dict:
    """The requester's own profile, for the requester only (UU PDP Pasal 7 access)."""
    return {"username": profile.user.get_username(), "registered_at": profile.registered_at,
            "identity": profile.identity()}


class ExtensionInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class DecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=InformationRequest.Decision.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    exemption_basis = serializers.ChoiceField(choices=Pasal17.choices, required=False, allow_blank=True,
                                              default="")
    consequence_test = serializers.CharField(required=False, allow_blank=True, default="")
    public_interest_test = serializers.CharField(required=False, allow_blank=True, default="")
    fee_rupiah = serializers.IntegerField(min_value=0, required=False, default=0)


class DeliveryInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ObjectionInput(serializers.Serializer):
    ground = serializers.ChoiceField(choices=Objection.Ground.choices)
    reason = serializers.CharField(max_length=5000)


class ObjectionDecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Objection.Decision.choices)
    response = serializers.CharField(max_length=5000)
    superior_name = serializers.CharField(required=False, allow_blank=True, default="")
    superior_position = serializers.CharField(required=False, allow_blank=True, default="")


class DisputeInput(serializers.Serializer):
    filed_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


def objection_dict(objection: Objection) -> dict:
    from .services import dispute_window_end
    return {
        "registration_number": objection.registration_number,
        "ground": objection.ground, "ground_label": objection.get_ground_display(),
        "ground_on": objection.ground_on, "filed_on": objection.filed_on, "due_on": objection.due_on,
        "reason": objection.reason, "decision": objection.decision or None,
        "response": objection.response, "responded_on": objection.responded_on,
        "superior_name": objection.superior_name, "superior_position": objection.superior_position,
        "dispute_window_end": dispute_window_end(objection=objection),
        "dispute_filed_on": objection.dispute_filed_on,
    }


def request_dict(request: InformationRequest, *, today, with_identity: bool) -> dict:
    """A request as its requester or the handling PPID sees it."""
    from .selectors import request_is_overdue
    from .services import objection_grounds_open
    data = {
        "registration_number": request.registration_number,
        "status": request.status, "status_label": request.get_status_display(),
        "agency": ({"code": request.agency.code, "name": request.agency.name} if request.agency else None),
        "information": request.information, "purpose": request.purpose,
        "format": request.format, "delivery": request.delivery,
        "received_at": request.received_at, "received_on": request.received_on,
        "due_on": request.due_on, "extended_due_on": request.extended_due_on,
        "effective_due_on": request.effective_due_on,
        "extension_possible_until": request.due_on if not request.extended_due_on else None,
        "max_due_on": request.extended_due_on or add_working_days(request.due_on, 7),
        "extension_reason": request.extension_reason,
        "overdue": request_is_overdue(request=request, today=today),
        "decision": request.decision or None,
        "decision_label": request.get_decision_display() if request.decision else None,
        "decided_on": request.decided_on, "decision_note": request.decision_note,
        "exemption_basis": request.exemption_basis or None,
        "consequence_test": request.consequence_test,
        "fee_rupiah": request.fee_rupiah,
        "delivered_on": request.delivered_on,
        "objections": [objection_dict(o) for o in request.objections.all()],
        "objection_grounds_open": objection_grounds_open(request=request, today=today),
    }
    if with_identity:
        person = request.identity
        data["identity"] = {"kind": person.kind, "name": person.name, "id_number": person.id_number,
                            "address": person.address, "phone": person.phone, "email": person.email,
                            "occupation": person.occupation}
    return data

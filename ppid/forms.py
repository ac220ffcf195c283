"""HTML forms of the PPID pages; they validate with the API serializers so
both paths accept the same input."""
from django import forms
from django.utils.translation import gettext_lazy as _

from geo.models import Agency

from .models import InformationRequest, Objection, Pasal17, RequesterIdentity


IDENTITY_KEYS = ("kind", "name", "id_number", "address", "phone", "email", "occupation")


class IdentityFields(forms.Form):
    """The identity UU 14/2008 asks of a requester (domain.md 1.3)."""

    kind = forms.ChoiceField(label=_("Jenis pemohon"), choices=RequesterIdentity.Kind.choices)
    name = forms.CharField(label=_("Nama lengkap / nama badan hukum"), max_length=200)
    id_number = forms.CharField(label=_("NIK / nomor akta badan hukum"), max_length=40)
    address = forms.CharField(label=_("Alamat"), widget=forms.Textarea(attrs={"rows": 2}))
    phone = forms.CharField(label=_("Telepon"), max_length=30, required=False)
    email = forms.EmailField(label=_("Surel"), required=False)
    occupation = forms.CharField(label=_("Pekerjaan"), max_length=100, required=False)

    def identity(self) -> dict:
        return {k: self.cleaned_data[k] for k in IDENTITY_KEYS}


class RequestForm(IdentityFields):
    agency = forms.ModelChoiceField(label=_("Ditujukan kepada (OPD)"), required=False, to_field_name="code",
                                    queryset=Agency.objects.filter(is_active=True).exclude(kind="external"),
                                    empty_label=_("PPID Utama Kabupaten Kubu Raya"))
    information = forms.CharField(label=_("Rincian informasi yang dibutuhkan"), widget=forms.Textarea)
    purpose = forms.CharField(label=_("Tujuan penggunaan informasi"), widget=forms.Textarea(attrs={"rows": 3}))
    format = forms.ChoiceField(label=_("Cara memperoleh informasi"), choices=InformationRequest.Format.choices)
    delivery = forms.ChoiceField(label=_("Cara mendapatkan salinan"), choices=InformationRequest.Delivery.choices)

    def __init__(self, *args, registered: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.registered = registered
        if registered:  # identity was given once, at registration: not asked again
            for key in IDENTITY_KEYS:
                del self.fields[key]

    def as_api_data(self) -> dict:
        d = self.cleaned_data
        identity = None if self.registered else self.identity()
        return {**({"identity": identity} if identity else {}), "information": d["information"], "purpose": d["purpose"],
                "format": d["format"], "delivery": d["delivery"],
                "agency": d["agency"].code if d["agency"] else None}


class ObjectionForm(forms.Form):
    ground = forms.ChoiceField(label=_("Alasan keberatan (Pasal 35 ayat 1)"), choices=Objection.Ground.choices)
    reason = forms.CharField(label=_("Uraian keberatan"), widget=forms.Textarea(attrs={"rows": 3}))


class ExtensionForm(forms.Form):
    reason = forms.CharField(label=_("Alasan perpanjangan"), widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Keputusan"), choices=InformationRequest.Decision.choices)
    note = forms.CharField(label=_("Isi pemberitahuan tertulis"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))
    exemption_basis = forms.ChoiceField(label=_("Dasar pengecualian"), required=False,
                                        choices=[("", "-")] + list(Pasal17.choices))
    consequence_test = forms.CharField(label=_("Uji konsekuensi"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 3}))
    fee_rupiah = forms.IntegerField(label=_("Biaya (Rp)"), min_value=0, initial=0, required=False)


class DeliveryForm(forms.Form):
    note = forms.CharField(label=_("Catatan penyerahan"), required=False)


class ObjectionDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Keputusan atasan PPID"), choices=Objection.Decision.choices)
    response = forms.CharField(label=_("Tanggapan tertulis dan alasannya"),
                               widget=forms.Textarea(attrs={"rows": 3}))
    superior_position = forms.CharField(label=_("Jabatan"), required=False)


class SignupForm(IdentityFields):
    """Account and requester identity in one step (the API's
    RequesterRegistrationInput); the account e-mail receives the answers."""

    username = forms.CharField(label=_("Nama pengguna"), max_length=150)
    password = forms.CharField(label=_("Kata sandi"), widget=forms.PasswordInput, min_length=10)
    field_order = ["username", "password", "kind", "name", "id_number", "address", "phone", "email",
                   "occupation"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def as_api_data(self) -> dict:
        d = self.cleaned_data
        return {"username": d["username"], "email": d["email"], "password": d["password"],
                "identity": self.identity()}

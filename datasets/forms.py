from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Dataset


class DatasetForm(forms.ModelForm):
    class Meta:
        model = Dataset
        fields = ["slug", "title", "description", "kind", "producer", "frequency", "licence", "kip_class",
                  "legal_basis", "exemption_basis", "consequence_test", "exemption_until", "source", "scale",
                  "keywords", "reference_edition"]


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Berkas (GeoJSON, GeoPackage, Shapefile zip, CSV, XLSX)"))
    exempt_fields = forms.CharField(label=_("Kolom dikecualikan (pisahkan dengan koma)"), required=False)


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Catatan walidata"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

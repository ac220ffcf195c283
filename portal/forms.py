"""The one sign-in form of every page (portal, PPID, agency data)."""
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class SignInForm(AuthenticationForm):
    # Django's own message reads "Masukkan nama pengguna nama pengguna dan
    # sandi yang benar" in Indonesian (the field's name is put into a sentence
    # that already names it): ours says it once.
    error_messages = {
        "invalid_login": _("Nama pengguna atau kata sandi salah. Perhatikan huruf besar dan kecil."),
        "inactive": _("Akun ini tidak aktif."),
    }

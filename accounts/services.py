from django.contrib.auth import get_user_model

from .models import Membership


def membership_grant(*, user, role: str, agency=None, area=None, valid_from=None, valid_to=None) -> Membership:
    membership, _ = Membership.objects.get_or_create(
        user=user, role=role, agency=agency, area=area,
        defaults={"valid_from": valid_from, "valid_to": valid_to})
    return membership


def user_create(*, username: str, password: str | None = None, email: str = "", **extra):
    User = get_user_model()
    user = User(username=username, email=email, **extra)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user

"""Reads of agency datasets for their producers and the walidata, the refresh
flag, and the dashboard choropleth (public, through datasets.policy)."""
import datetime

from django.db.models import Q, QuerySet

from accounts.models import Role
from accounts.selectors import user_agency_ids, user_has_role
from datasets import policy as policy

from .models import Dataset, DatasetVersion, KipClass


def datasets_visible_to(*, user) -> QuerySet[Dataset]:
    """Producers see their agency's datasets, the walidata all."""
    if user is None or not user.is_authenticated:
        return Dataset.objects.none()
    qs = Dataset.objects.select_related("producer", "published_version").prefetch_related("fields")
    if user_has_role(user=user, roles=[Role.WALIDATA]):
        return qs
    return qs.filter(producer_id__in=user_agency_ids(user=user, roles=[Role.DATA_PRODUCER]))


def versions_pending() -> QuerySet[DatasetVersion]:
    return DatasetVersion.objects.filter(state=DatasetVersion.State.PENDING).select_related("dataset")


def dataset_refresh_due_on(*, dataset: Dataset) -> datetime.date | None:
    """Berkala datasets are refreshed at least every 6 months (Pasal 9):
    the date 6 months after the published version's approval."""
    from .services import refresh_due_on
    version = dataset.published_version
    if dataset.kip_class != KipClass.BERKALA or version is None or version.reviewed_at is None:
        return None
    return refresh_due_on(approved_at=version.reviewed_at)


def datasets_due_for_refresh(*, today: datetime.date) -> list[Dataset]:
    """Published berkala datasets whose newest approval is 6 months old or more."""
    candidates = (Dataset.objects.filter(kip_class=KipClass.BERKALA, published_version__isnull=False)
                  .select_related("published_version", "producer"))
    return [d for d in candidates if (due := dataset_refresh_due_on(dataset=d)) and due <= today]


def datasets_refresh_within(*, today: datetime.date, days: int) -> list[tuple[Dataset, datetime.date]]:
    """(dataset, refresh due date) of published berkala datasets due within
    `days` days from `today` or already overdue, soonest first."""
    horizon = today + datetime.timedelta(days=days)
    candidates = (Dataset.objects.filter(kip_class=KipClass.BERKALA, published_version__isnull=False)
                  .select_related("published_version", "producer"))
    rows = [(d, due) for d in candidates if (due := dataset_refresh_due_on(dataset=d)) and due <= horizon]
    return sorted(rows, key=lambda row: (row[1], row[0].slug))


def producer_emails(*, agency_id: int, on: datetime.date) -> list[str]:
    """Active producers (Produsen Data) of an agency; the agency's own
    address when it has none."""
    from django.contrib.auth import get_user_model

    from accounts.models import Membership
    from geo.models import Agency

    user_ids = (Membership.objects.filter(role=Role.DATA_PRODUCER, agency_id=agency_id)
                .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
                .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on)).values("user_id"))
    emails = sorted(set(get_user_model().objects.filter(id__in=user_ids, is_active=True)
                        .exclude(email="").values_list("email", flat=True)))
    if not emails:
        emails = [e for e in Agency.objects.filter(pk=agency_id).values_list("email", flat=True) if e]
    return emails


def choropleth_options() -> list[dict]:
    """For the portal: numeric public fields of published desa datasets."""
    return policy.choropleth_options()


def choropleth_values(*, slug: str, field: str) -> dict | None:
    """For the portal: {desa code: value} of one public numeric field."""
    return policy.choropleth_values(slug=slug, field=field)


def datasets_public_list() -> list[dict]:
    return [policy.dataset_public_metadata(d) for d in policy.datasets_public()]

"""Background work of the portal (Celery; inline without a broker)."""
from celery import shared_task

from common.jobs import RETRY


@shared_task(name="portal.dashboard_refresh", **RETRY)
def dashboard_refresh() -> bool:
    """Recompute the dashboard figures; a no-op while another refresh runs."""
    from . import services

    return services.dashboard_snapshot_refresh() is not None

"""What of the information-request register may be published: the annual
report of UU 14/2008 Pasal 12 (requests received, time taken to fulfil each,
numbers granted and refused, and the reasons for refusal).

Only these fields of the register are read: dates, decision, exemption basis,
extension flag, objection outcome. The requester's identity, the text of the
request and its purpose are never read here (they may name people), and no
registration number is published (a row cannot be tied back to a requester).
The counts are exact, not suppressed: Pasal 12 requires the numbers and none
of them describes a person.
"""
import datetime
import statistics

from django.db.models import Count

from common.workdays import working_days_between
from ppid.models import InformationRequest, Objection, Pasal17

_PUBLIC_REQUEST_FIELDS = ("received_on", "due_on", "extended_due_on", "decision", "decided_on",
                          "delivered_on", "exemption_basis", "status")


def annual_report_public(*, year: int, today: datetime.date | None = None) -> dict:
    """The Pasal 12 report for requests received in `year`."""
    today = today or datetime.date.today()
    rows = list(InformationRequest.objects.filter(received_on__year=year)
                .order_by("received_on", "id").values(*_PUBLIC_REQUEST_FIELDS))
    Decision = InformationRequest.Decision
    per_request, to_decision = [], []
    for row in rows:
        due = row["extended_due_on"] or row["due_on"]
        decided_days = (working_days_between(row["received_on"], row["decided_on"])
                        if row["decided_on"] else None)
        delivered_days = (working_days_between(row["received_on"], row["delivered_on"])
                          if row["delivered_on"] else None)
        if decided_days is not None:
            to_decision.append(decided_days)
        per_request.append({
            "received_month": row["received_on"].strftime("%Y-%m"),
            "decision": row["decision"] or None,
            "working_days_to_decision": decided_days,
            "working_days_to_delivery": delivered_days,
            "extended": row["extended_due_on"] is not None,
            "on_time": (row["decided_on"] <= due) if row["decided_on"] else (None if today <= due else False),
        })
    decisions = {d: sum(1 for r in rows if r["decision"] == d) for d in Decision.values}
    refusal_reasons = [
        {"basis": basis, "label": str(Pasal17(basis).label),
         "count": sum(1 for r in rows if r["exemption_basis"] == basis
                      and r["decision"] in (Decision.REFUSED, Decision.PARTLY))}
        for basis in Pasal17.values]
    refusal_reasons = [r for r in refusal_reasons if r["count"]]
    if decisions[Decision.NOT_HELD]:
        refusal_reasons.append({"basis": "not_held", "label": str(Decision.NOT_HELD.label),
                                "count": decisions[Decision.NOT_HELD]})
    objections = Objection.objects.filter(request__received_on__year=year)
    objection_counts = dict(objections.values("decision").annotate(n=Count("id")).values_list("decision", "n"))
    return {
        "year": year,
        "legal_basis": "UU 14/2008 Pasal 12",
        "requests_received": len(rows),
        "decided": len(to_decision),
        "pending": sum(1 for r in rows
                       if not r["decision"] and r["status"] != InformationRequest.Status.WITHDRAWN),
        "withdrawn": sum(1 for r in rows if r["status"] == InformationRequest.Status.WITHDRAWN),
        "granted": decisions[Decision.GRANTED],
        "partly_granted": decisions[Decision.PARTLY],
        "refused": decisions[Decision.REFUSED] + decisions[Decision.NOT_HELD],
        "refusal_reasons": refusal_reasons,
        "extended": sum(1 for r in per_request if r["extended"]),
        "decided_within_10_working_days": sum(1 for d in to_decision if d <= 10),
        "decided_late": sum(1 for r in per_request if r["on_time"] is False),
        "working_days_to_decision": {
            "mean": round(statistics.fmean(to_decision), 1) if to_decision else None,
            "median": statistics.median(to_decision) if to_decision else None,
            "max": max(to_decision) if to_decision else None,
        },
        "objections": {
            "filed": sum(objection_counts.values()),
            "accepted": objection_counts.get(Objection.Decision.ACCEPTED, 0),
            "rejected": objection_counts.get(Objection.Decision.REJECTED, 0),
            "pending": objection_counts.get("", 0),
            "disputes_to_komisi_informasi": objections.filter(dispute_filed_on__isnull=False).count(),
        },
        "requests": per_request,
    }

from prometheus_client import Counter

OUTBOX_DELIVERIES = Counter("kr_outbox_deliveries_total", "Outbox delivery attempts by kind and outcome",
                            ["kind", "outcome"])

"""Regencies (kabupaten/kota) as tenants on a distributed engine (issue 23).

This session's scope: a province-scale, reports-like schema distributed by the
regency code (tenancy.schema), the queries the service runs on it
(tenancy.queries), the province's real boundaries loaded into it
(tenancy.load), run on Citus (scripts/citus.sh) or on one PostgreSQL.
The project's own models do not carry the regency code yet (docs/scaling.md).
"""

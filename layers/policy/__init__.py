"""The publication policy: the one place that decides what may leave the
service (UU 14/2008 KIP, UU 27/2022 PDP; domain.md sections 1 and 7.5).

Every public output (APIs, GeoJSON, OGC API, tiles, exports, dashboard,
Open311, pages) reads restricted data only through this package:

- `layers.policy.classes`: the publication classes P0-P3 and the small-count rule;
- `layers.policy.reports`: what of a report the public (or a role) may see;
- `layers.policy.businesses`: what of a business the public may see (the
  views `businesses_public_*`: PublicBusiness, PublicCertificate, PublicPhoto);
- `layers.policy.datasets`: what of an agency dataset may be published (the
  views `datasets_public_*`: PublicDataset, PublicDatasetField,
  PublicDatasetFeature);
- `layers.registry`: the published layers built on these.

A public view never filters a restricted model itself; it asks a function
here for the queryset or the dict it may publish. For reports, businesses
and datasets the rows and columns the public may see are database views;
public code reads those (tests/privacy checks the imports of public modules
and the SQL run for every anonymous answer).
"""

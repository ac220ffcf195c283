"""The publication policy: what may leave the service (UU 14/2008 KIP,
UU 27/2022 PDP; domain.md sections 1 and 7.5), decided in one module per
source, each in the app that owns the data, so that imports point one way
(the domain apps below layers, .importlinter):

- `common.publication` (below every app): the publication classes P0-P3, the
  public grid and the rounding of counts;
- `reports.policy`: what of a single report the public (or a role) may see;
- `businesses.policy`: what of a business the public may see (the views
  `businesses_public_*`: PublicBusiness, PublicCertificate, PublicPhoto);
- `datasets.policy`: what of an agency dataset may be published (the views
  `datasets_public_*`: PublicDataset, PublicDatasetField, PublicDatasetFeature);
- `announcements.policy`, `ppid.policy`: the announcement gate, the Pasal 12
  annual report;
- this package: what is built across sources on top of those: the published
  counts of reports (`counts`, one rounded base table), the dashboard, the
  planners' aggregates and the tile filter; `layers.registry`: the published
  layers.

A public view never filters a restricted model itself; it asks one of these
for the queryset or the dict it may publish. For reports, businesses and
datasets the rows and columns the public may see are database views; public
code reads those (tests/privacy checks the imports of public modules and the
SQL run for every anonymous answer).
"""

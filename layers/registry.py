"""The layer registry: every published layer, with its metadata and how it is
read. Layer ids are short and stable and the same in the OGC API, the tiles
and the exports. Owned by the layers app; tiles and portal read it.

Contract (other apps rely on these names):
    layer_get(layer_id) -> Layer | None
    layers_public() -> list[Layer]
    Layer.id, .title, .description, .geometry_type ("Point", "MultiPolygon"),
    .geometry_treatment ("exact" | "coarsened_to_desa" | "aggregated"),
    .kip_class, .legal_basis, .producer, .licence, .update_frequency, .crs,
    .fields (list of published property names),
    .table_sql(filters) -> (sql, params): a SELECT of (id, geom 4326, *fields)
        already restricted by the publication policy, for tiles and exports.
"""

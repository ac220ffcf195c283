"""What of the agency datasets may be published (UU 14/2008; domain.md 7.5,
7.6; issue 16). The only reader of datasets for public outputs: the layer
provider (OGC API, tiles, exports, open-data page), the Daftar Informasi
Publik, the public dataset list and the dashboard choropleth all go through
here.

Published = the walidata approved a version (Dataset.published_version) and
the dataset is not classed `dikecualikan`; of it, only the fields not marked
exempt. That rule is written once, as the database views of migration
datasets.0003 (`datasets_public_dataset`, `_field`, `_feature`), read here
as `PublicDataset`, `PublicDatasetField` and `PublicDatasetFeature`: this
module never reads the private tables, and the SQL below also names only
the public fields, so no wrapper (tiles, exports, OGC items) can reach an
exempt value or an unpublished version. tests/privacy checks that no public
URL runs SQL on a private table of datasets.
"""
from django.db.models import QuerySet

from datasets.models import PublicDataset, PublicDatasetField, PublicDatasetFeature

_CASTS = {"integer": "::bigint", "number": "::float8", "boolean": "::boolean", "string": ""}


def datasets_public() -> QuerySet[PublicDataset]:
    return (PublicDataset.objects.select_related("producer", "reference_edition")
            .prefetch_related("fields").order_by("slug"))


def dataset_public_get(*, slug: str) -> PublicDataset | None:
    return datasets_public().filter(slug=slug).first()


def dataset_public_fields(dataset: PublicDataset) -> list[PublicDatasetField]:
    if not isinstance(dataset, PublicDataset):
        raise TypeError("the public fields are those of a PublicDataset (the public view), not a Dataset")
    return list(dataset.fields.all())


def _quote(name: str) -> str:
    # Field names match ^[a-z][a-z0-9_]*$ (a database constraint); quoting
    # guards reserved words.
    return '"' + name.replace('"', '""') + '"'


def dataset_public_sql(dataset: PublicDataset) -> tuple[str, list]:
    """SELECT (id, geom EPSG:4326, [kode_wilayah, nama_wilayah,] public fields)
    of the published version, from the view datasets_public_feature. Raw
    SQL: it is the base that tiles and exports wrap (layers.registry
    contract); JSON keys are bound parameters."""
    columns, params = [], []
    for field in dataset_public_fields(dataset):
        columns.append(f"(f.properties->>%s){_CASTS[field.type]} AS {_quote(field.name)}")
        params.append(field.name)
    extra = (", " + ", ".join(columns)) if columns else ""
    if dataset.kind == PublicDataset.Kind.SPATIAL:
        sql = (f"SELECT f.id AS id, f.geom AS geom{extra} "
               "FROM datasets_public_feature f WHERE f.dataset_id = %s")
    else:
        sql = (f"SELECT f.id AS id, b.geom AS geom, a.code AS kode_wilayah, a.name AS nama_wilayah{extra} "
               "FROM datasets_public_feature f JOIN geo_area a ON a.id = f.area_id "
               "LEFT JOIN geo_areaboundary b ON b.area_id = a.id WHERE f.dataset_id = %s")
    return sql, params + [dataset.pk]


def dataset_public_field_types(dataset: PublicDataset) -> dict[str, str]:
    types = {} if dataset.kind == PublicDataset.Kind.SPATIAL else {"kode_wilayah": "string", "nama_wilayah": "string"}
    types.update({f.name: f.type for f in dataset_public_fields(dataset)})
    return types


def dataset_public_metadata(dataset: PublicDataset) -> dict:
    """Satu Data metadata (domain.md 7.6) of a published dataset."""
    approved = dataset.approved_at.isoformat() if dataset.approved_at else None
    return {
        "id": dataset.layer_id,
        "slug": dataset.slug,
        "title": dataset.title,
        "description": dataset.description,
        "producer": dataset.producer.name,
        "kip_class": dataset.kip_class,
        "legal_basis": dataset.legal_basis,
        "update_frequency": dataset.get_frequency_display(),
        "licence": dataset.licence,
        "reference_codes": dataset.reference_edition.name,
        "source": dataset.source,
        "scale": dataset.scale,
        "version": dataset.version_number,
        "published_at": approved,
        "walidata_approval": {"approved_at": approved},
        "fields": [{"name": n, "type": t} for n, t in dataset_public_field_types(dataset).items()],
    }


def choropleth_options() -> list[dict]:
    """(dataset, numeric field) pairs a dashboard may colour desa by."""
    options = []
    for dataset in datasets_public().filter(kind=PublicDataset.Kind.DESA):
        for field in dataset_public_fields(dataset):
            if field.type in ("integer", "number"):
                options.append({"layer_id": dataset.layer_id, "dataset": dataset.slug, "title": dataset.title,
                                "field": field.name, "label": field.label or field.name,
                                "producer": dataset.producer.name})
    return options


def choropleth_values(*, slug: str, field: str) -> dict | None:
    """{desa code: value} of a numeric public field of a published desa
    dataset; None when there is no such public field."""
    dataset = dataset_public_get(slug=slug)
    if dataset is None or dataset.kind != PublicDataset.Kind.DESA:
        return None
    chosen = next((f for f in dataset_public_fields(dataset)
                   if f.name == field and f.type in ("integer", "number")), None)
    if chosen is None:
        return None
    rows = (PublicDatasetFeature.objects.filter(dataset_id=dataset.pk, area__isnull=False)
            .values_list("area__code", "properties"))
    values = {code: props.get(field) for code, props in rows}
    numbers = [v for v in values.values() if v is not None]
    return {"layer_id": dataset.layer_id, "dataset": slug, "title": dataset.title, "field": field,
            "label": chosen.label or field, "values": values,
            "min": min(numbers) if numbers else None, "max": max(numbers) if numbers else None,
            "licence": dataset.licence, "producer": dataset.producer.name}

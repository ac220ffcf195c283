"""The Daftar Informasi Publik (UU 14/2008 Pasal 11(1)a): every published
layer (boundaries, report counts, agency datasets, with their KIP class) and
every document the PPID registers, each with where to get it.

Layers come from layers.registry.layers_public(), which already applies the
publication policy (exempt datasets are never registered as layers);
documents are those the PPID lists. Nothing else is read.
"""
from django.urls import NoReverseMatch, reverse

from layers import registry

from .selectors import documents_listed


def _url(name: str, **kwargs) -> str | None:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _layers() -> list:
    return list(registry.layers_public())


def _layer_entry(layer) -> dict:
    metadata = layer.metadata()
    where = {
        "ogc_collection": _url("ogc-collection", collection_id=layer.id),
        "metadata": _url("layers-metadata", layer_id=layer.id),
        "geojson": _url("layers-download", layer_id=layer.id, fmt="geojson"),
        "csv": _url("layers-download", layer_id=layer.id, fmt="csv"),
        "tilejson": f"/tiles/{layer.id}.json",
    }
    return {
        "kind": "layer",
        "id": layer.id,
        "title": str(layer.title),
        "description": str(layer.description),
        "kip_class": str(layer.kip_class),
        "kip_class_label": metadata.get("kip_class_label", str(layer.kip_class)),
        "legal_basis": layer.legal_basis,
        "producer": layer.producer,
        "update_frequency": str(layer.update_frequency),
        "licence": layer.licence,
        "format": "GeoJSON, CSV, OGC API - Features, vector tiles",
        "where": {k: v for k, v in where.items() if v},
    }


def _document_entry(doc) -> dict:
    return {
        "kind": "document",
        "id": f"doc-{doc.pk}",
        "title": doc.title,
        "description": doc.summary,
        "kip_class": doc.kip_class,
        "kip_class_label": str(doc.get_kip_class_display()),
        "legal_basis": "",
        "producer": doc.agency.name if doc.agency else "",
        "responsible": doc.responsible,
        "period": doc.period,
        "format": doc.format,
        "retention": doc.retention,
        "where": {k: v for k, v in {"url": doc.url, "office": doc.where_to_get}.items() if v},
    }


def information_list_public() -> dict:
    layers = [_layer_entry(layer) for layer in _layers()]
    documents = [_document_entry(doc) for doc in documents_listed()]
    return {"count": len(layers) + len(documents), "layers": layers, "documents": documents}

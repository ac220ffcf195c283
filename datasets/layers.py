"""Published datasets as layers of layers.registry (`dataset-<slug>`): the
provider the app registers in AppConfig.ready(). Reads only the public
projection (datasets.policy: PublicDataset)."""
from layers import registry
from datasets import policy as policy

from .models import KipClass
from .services import refresh_due_on


def dataset_layers() -> list:
    layers = []
    for dataset in policy.datasets_public():
        metadata = policy.dataset_public_metadata(dataset)
        spatial = dataset.kind == dataset.Kind.SPATIAL
        due = (refresh_due_on(approved_at=dataset.approved_at)
               if dataset.kip_class == KipClass.BERKALA and dataset.approved_at else None)
        layers.append(registry.Layer(
            id=dataset.layer_id,
            title=dataset.title,
            description=dataset.description,
            geometry_type=dataset.geometry_type or "MultiPolygon",
            geometry_treatment="exact" if spatial else "aggregated",
            kip_class=dataset.kip_class,
            legal_basis=dataset.legal_basis,
            producer=dataset.producer.name,
            licence=dataset.licence,
            licence_notice=f"Sumber / source: {dataset.producer.name}. Lisensi / licence: {dataset.licence}",
            update_frequency=dataset.get_frequency_display(),
            reference_codes=dataset.reference_edition.name,
            base_sql=(lambda d=dataset: policy.dataset_public_sql(d)),
            field_types=policy.dataset_public_field_types(dataset),
            id_type="integer",
            keywords=[k.strip() for k in dataset.keywords.split(",") if k.strip()],
            extra={"version": metadata["version"], "walidata_approval": metadata["walidata_approval"],
                   "source": dataset.source, "scale": dataset.scale,
                   "refresh_due_on": due.isoformat() if due else None},
        ))
    return layers

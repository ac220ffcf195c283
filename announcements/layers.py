"""The `announcements` layer (OGC API collection, exports): active
announcements as areas, read through announcements.policy."""


def _sql():
    return ("""
SELECT a.id, a.geom, a.public_id::text AS uid, a.kind, a.title_id AS title, a.body_id AS body,
       a.valid_from, a.valid_to, a.published_at, a.version,
       array_to_string(a.target_codes, ',') AS target_codes
  FROM announcements_announcement AS a
 WHERE a.status = 'published' AND a.geom IS NOT NULL AND a.valid_from <= now() AND a.valid_to > now()""", [])


def announcement_layers():
    from layers.registry import (DATETIME, INTEGER, PRODUCER_DISKOMINFO, SERVICE_LICENCE, STRING, GeometryTreatment,
                                 KipClass, Layer)

    return [Layer(
        id="announcements",
        title="Pengumuman dan peringatan aktif",
        description=("Pengumuman pemerintah kabupaten, instansi, kecamatan, desa dan RT yang sedang berlaku, "
                     "sebagai wilayah sasaran (informasi, gangguan layanan, peringatan, darurat)."),
        geometry_type="MultiPolygon", geometry_treatment=GeometryTreatment.EXACT,
        kip_class=KipClass.SERTA_MERTA,
        legal_basis="UU 14/2008 Pasal 9 dan Pasal 10 (informasi serta-merta)",
        producer=PRODUCER_DISKOMINFO, licence=SERVICE_LICENCE, update_frequency="Saat terbit",
        base_sql=_sql,
        field_types={"uid": STRING, "kind": STRING, "title": STRING, "body": STRING,
                     "valid_from": DATETIME, "valid_to": DATETIME, "published_at": DATETIME,
                     "version": INTEGER, "target_codes": STRING},
        datetime_field="published_at", id_type=INTEGER,
        keywords=["pengumuman", "peringatan", "CAP"],
    )]

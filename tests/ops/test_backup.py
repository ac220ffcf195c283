"""Backup and restore into an empty database: every row and every file comes back."""
import hashlib
import os
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from common.outbox.models import JobReceipt

pytestmark = pytest.mark.slow


def _libpq(db: str) -> str:
    d = settings.DATABASES["default"]
    return f"postgresql://{d['USER']}@{d['HOST']}:{d['PORT']}/{db}"


def _row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "select tablename from pg_tables where schemaname = 'public' order by 1")]
        # table names come from the catalogue, quoted as identifiers
        return {t: conn.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def empty_database():
    name = f"kr_restore_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(_libpq("postgres"), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.mark.django_db(transaction=True)
def test_backup_restores_every_row_and_file_into_an_empty_database(kubu_raya, tmp_path, empty_database):
    JobReceipt.objects.create(key="before-backup", task="test")
    media = tmp_path / "media"
    (media / "reports" / "2026" / "11").mkdir(parents=True)
    (media / "reports" / "2026" / "11" / "foto.jpg").write_bytes(os.urandom(4096))
    (media / "ppid" / "lampiran surat.pdf").parent.mkdir(parents=True)
    (media / "ppid" / "lampiran surat.pdf").write_bytes(b"%PDF-1.4 lampiran")
    source_url = _libpq(settings.DATABASES["default"]["NAME"])
    env = {**os.environ, "DATABASE_URL": source_url, "MEDIA_ROOT": str(media),
           "BACKUP_DIR": str(tmp_path / "backups")}
    out = subprocess.run(["bash", "scripts/backup.sh"], cwd=settings.BASE_DIR, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    backup = Path(out.stdout.strip().splitlines()[-1])
    assert sorted(p.name for p in backup.iterdir()) == ["SHA256SUMS", "db.dump", "media.tar.gz"]

    restored_media = tmp_path / "restored-media"
    # a tile cache (Redis, under a private prefix) holding a tile of the database that was there before
    import uuid

    import redis

    prefix = f"test:{uuid.uuid4().hex}:"
    old_tile = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    old_tile.set(prefix + "b:reports:14:1:1", b"tile of the old database")
    env_restore = {**os.environ, "MEDIA_ROOT": str(restored_media), "TILES_REDIS_URL": "redis://127.0.0.1:6379/0",
                   "TILES_CACHE_PREFIX": prefix, "TILES_EDGE_DIR": ""}
    out = subprocess.run(["bash", "scripts/restore.sh", str(backup), _libpq(empty_database)],
                         cwd=settings.BASE_DIR, env=env_restore, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "tile cache purged" in out.stdout + out.stderr and not old_tile.exists(prefix + "b:reports:14:1:1")

    before, after = _row_counts(source_url), _row_counts(_libpq(empty_database))
    assert after == before
    assert after["ops_jobreceipt"] == 1 and after["geo_areaboundary"] > 100
    for table in ("reports_report", "reports_reportphoto", "reports_reportevent"):
        if table in before:  # reports, their photos and timelines once the reports app has them
            assert after[table] == before[table]
    assert _files(restored_media) == _files(media)

    # a second restore into the now non-empty database is refused and changes nothing
    again = subprocess.run(["bash", "scripts/restore.sh", str(backup), _libpq(empty_database)],
                           cwd=settings.BASE_DIR, env={**os.environ, "MEDIA_ROOT": str(tmp_path / "m2")},
                           capture_output=True, text=True, timeout=120)
    assert again.returncode != 0 and "not empty" in again.stderr
    assert _row_counts(_libpq(empty_database)) == after
    connection.close()


def test_a_damaged_backup_is_refused(tmp_path, empty_database):
    backup = tmp_path / "b"
    backup.mkdir()
    (backup / "db.dump").write_bytes(b"not a dump")
    (backup / "media.tar.gz").write_bytes(b"")
    (backup / "SHA256SUMS").write_text("0" * 64 + "  db.dump\n" + "0" * 64 + "  media.tar.gz\n")
    out = subprocess.run(["bash", "scripts/restore.sh", str(backup), _libpq(empty_database)],
                         cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "damaged" in out.stderr

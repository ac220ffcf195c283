import csv
from pathlib import Path

from django.db import migrations

KBLI_FILE = Path(__file__).resolve().parent.parent / "data" / "kbli_2020.csv"


def seed(apps, schema_editor):
    KbliCode = apps.get_model("businesses", "KbliCode")
    with KBLI_FILE.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            KbliCode.objects.update_or_create(
                edition=row["edition"], code=row["code"],
                defaults={"title": row["title"], "sector": row["sector"], "is_food": row["is_food"] == "1"})


def unseed(apps, schema_editor):
    apps.get_model("businesses", "KbliCode").objects.filter(edition="2020").delete()


class Migration(migrations.Migration):
    dependencies = [("businesses", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]

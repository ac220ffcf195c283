import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
application = get_wsgi_application()

# Cached map tiles are answered from the tile cache before Django (tiles/fastpath.py).
from tiles.fastpath import wrap  # noqa: E402

application = wrap(application)

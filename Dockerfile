# Kubu Raya Smart City: web (gunicorn) and worker (Celery) image.
# GDAL, GEOS and PROJ come from Debian's packages (what GeoDjango links to).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production
RUN apt-get update \
 && apt-get install -y --no-install-recommends gdal-bin libgdal32 libgeos-c1v5 libproj25 postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /srv/kubu-raya kubu-raya
WORKDIR /srv/kubu-raya
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY --chown=kubu-raya:kubu-raya . .
# Static files are collected at build time (no secrets needed for that).
RUN SECRET_KEY=build ALLOWED_HOSTS=build DATABASE_URL=postgis://build@localhost/build \
    python manage.py collectstatic --noinput -v 0 \
 && mkdir -p media .state && chown kubu-raya:kubu-raya media .state
USER kubu-raya
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "config.wsgi"]

# Production image of the portal: web (gunicorn), worker and beat share it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORTAL_ENV=production
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-noto-cjk libmagic1 libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY portal portal
COPY matters matters
COPY applications applications
COPY citizens citizens
COPY enterprises enterprises
COPY supervision supervision
COPY integrations integrations
RUN pip install --no-cache-dir .
COPY . .
# collectstatic needs a key at build time only; the real one comes from the environment.
RUN SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput \
 && useradd --system --uid 1000 portal && mkdir -p /app/media && chown portal /app/media
USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]

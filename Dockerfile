# Quiz Management System backend: gunicorn with one gevent worker per container.
# Build: docker build -t quiz-backend .   Run: see docker-compose.yml and the README.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=wsgi \
    APP_ENV=production \
    GUNICORN_BIND=0.0.0.0:5000

WORKDIR /app

# DejaVu Sans renders accented and Arabic names in the PDF reports.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, in their own layer: rebuilt only when the lock changes. The exact
# locked versions, each file checked against its hash. Everything installs from wheels
# (PyMySQL is pure Python), so no compiler is needed.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

RUN groupadd --system --gid 10001 quiz \
    && useradd --system --uid 10001 --gid quiz --home-dir /app --shell /usr/sbin/nologin quiz

COPY --chown=quiz:quiz . .
RUN chmod +x scripts/*.sh

USER quiz
EXPOSE 5000

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:5000/api/health', timeout=4).status == 200 else 1)"

CMD ["gunicorn", "-c", "gunicorn_config.py", "wsgi:app"]

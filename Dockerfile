# Multi-stage build: wheels are built in the first stage, the runtime image holds only what runs.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --create-home --home-dir /var/lib/netcop netcop
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER netcop
WORKDIR /var/lib/netcop
ENV NETCOP_SQLITE_PATH=/var/lib/netcop/netcop.db
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
CMD ["netcop", "serve", "--host", "0.0.0.0", "--port", "8000"]

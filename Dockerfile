# Schakel as a small image; compose.yaml runs it next to Neo4j.
FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schakel schakel
COPY graph graph
COPY matching matching
COPY service service
COPY seeds seeds
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 1000 schakel && mkdir /data && chown schakel /data
USER schakel
ENV SCHAKEL_HOST=0.0.0.0 SCHAKEL_DATA_DIR=/data
EXPOSE 8000
CMD ["schakel", "serve"]

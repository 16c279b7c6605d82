"""The FastAPI service (ingest, queries, labels): built on the engine in `vocengine/`."""

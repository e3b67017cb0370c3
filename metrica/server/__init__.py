"""The Metrica backend: FastAPI app, async SQLAlchemy models, Alembic migrations."""

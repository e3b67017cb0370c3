"""Privacy policies in the backend: loaded once at start (`loader`), applied to events as
they are ingested (`ingest`) and to plate reads as they are read, per role (`read`)."""

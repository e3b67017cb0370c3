"""Plates (ANPR) service: uploads, jobs, plate reads, search, watchlist, privacy."""

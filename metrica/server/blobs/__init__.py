"""Blob storage for uploads, plate crops and (later) camera snapshots: a local directory by
default, an S3-compatible bucket by settings. See `base.BlobStore`."""

from metrica.server.blobs.base import BlobError, BlobStore, BlobTooLarge, check_key
from metrica.server.blobs.factory import blob_store

__all__ = ["BlobError", "BlobStore", "BlobTooLarge", "blob_store", "check_key"]

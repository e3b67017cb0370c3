"""The blob store the settings name."""

from __future__ import annotations

from metrica.server.blobs.base import BlobStore
from metrica.server.blobs.local import LocalBlobStore
from metrica.server.blobs.s3 import S3BlobStore
from metrica.server.settings import Settings


def blob_store(settings: Settings) -> BlobStore:
    """S3 when `blob_s3_bucket` is set, else the local directory `blob_dir`."""
    s = settings
    if s.blob_s3_bucket:
        return S3BlobStore(
            bucket=s.blob_s3_bucket,
            endpoint=s.blob_s3_endpoint,
            region=s.blob_s3_region,
            access_key_id=s.blob_s3_access_key_id.get_secret_value()
            if s.blob_s3_access_key_id
            else None,
            secret_access_key=s.blob_s3_secret_access_key.get_secret_value()
            if s.blob_s3_secret_access_key
            else None,
            prefix=s.blob_s3_prefix,
        )
    return LocalBlobStore(s.blob_dir)

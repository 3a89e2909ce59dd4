"""Where question media bytes live: one small interface, two stores.

- `local` (default): files under `MEDIA_ROOT` (default `<instance folder>/media`),
  outside the code and outside any served directory.
- `s3`: an S3-compatible bucket (`MEDIA_S3_BUCKET`, `MEDIA_S3_ENDPOINT_URL` for
  MinIO, Ceph and the like); boto3 reads the credentials from its usual places
  (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, a profile, an instance role).

Keys are made by the app (`questions/<question id>/<media id>`), never from an
uploaded name, so no key can climb out of its store.
"""
import re
from pathlib import Path
from typing import Protocol

from flask import current_app

from app.errors import NotFound

SAFE_KEY = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")


class MediaStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


def _checked(key: str) -> str:
    if not SAFE_KEY.match(key):
        raise ValueError(f"unsafe media key {key!r}")
    return key


class LocalStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(data)
        partial.replace(path)  # readers never see half a file

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound("Media not found") from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Store:
    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None):
        import boto3  # only deployments that choose S3 load it

        self.bucket = bucket
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=_checked(key), Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=_checked(key))["Body"].read()
        except self.client.exceptions.NoSuchKey as exc:
            raise NotFound("Media not found") from exc

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_checked(key))


def build_store(config: dict, instance_path: str) -> MediaStore:
    kind = config["MEDIA_STORAGE"]
    if kind == "local":
        return LocalStore(config["MEDIA_ROOT"] or Path(instance_path) / "media")
    if kind == "s3":
        if not config["MEDIA_S3_BUCKET"]:
            raise RuntimeError("MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET")
        return S3Store(config["MEDIA_S3_BUCKET"], endpoint_url=config["MEDIA_S3_ENDPOINT_URL"],
                       region=config["MEDIA_S3_REGION"])
    raise RuntimeError(f"MEDIA_STORAGE must be local or s3, not {kind!r}")


def media_store() -> MediaStore:
    """The app's store, built once per app from its configuration."""
    store = current_app.extensions.get("media_store")
    if store is None:
        store = current_app.extensions["media_store"] = build_store(current_app.config, current_app.instance_path)
    return store

"""Reaching the storage a URL names through fsspec, and turning its failures into one line.

fsspec picks the driver by the URL's scheme (s3fs for s3://, gcsfs for gs://, adlfs for
abfs://) and each driver finds credentials and endpoints the standard way of its cloud (for
S3: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws/credentials,
AWS_ENDPOINT_URL; for any driver, fsspec's own FSSPEC_<PROTOCOL>_<OPTION> variables and
config files): archiver never takes them on its command line (docs/storage.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archiver.errors import ArchiverError, ArchiverUsageError, EnvironmentFault, StorageMissing

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

INSTALL_HINT = "pip install 'archiver[storage]'"
"""What brings fsspec and s3fs (the extra `storage`)."""

DRIVERS = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "abfs": "adlfs",
           "abfss": "adlfs", "az": "adlfs"}
"""The package that reaches each common scheme; only s3fs comes with `archiver[storage]`."""


@dataclass(frozen=True)
class Store:
    """Where a URL points: its file system and the path inside it (`bucket/prefix/pkg`)."""

    url: str
    fs: AbstractFileSystem
    path: str

    def join(self, relative: str) -> str:
        return f"{self.path.rstrip('/')}/{relative}"

    def has_buckets(self) -> bool:
        """True for an object store whose first path part is a bucket (s3, gcs, azure):
        their file systems have no root of their own."""
        return not self.fs.root_marker


def open_store(url: str) -> Store:
    """The file system a storage URL names. Raises StorageMissing (fsspec, or the driver for
    its scheme, is not installed: exit 3) and ArchiverUsageError (a scheme fsspec does not
    know)."""
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise StorageMissing(url, "reading and writing storage URLs needs fsspec: "
                             f"{INSTALL_HINT}") from None
    scheme = url.split("://", 1)[0].lower()
    try:
        fs, path = url_to_fs(url)
    except ImportError:
        driver = DRIVERS.get(scheme)
        hint = (INSTALL_HINT if driver == "s3fs" else f"pip install {driver}" if driver
                else "install the fsspec driver for it")
        raise StorageMissing(url, f"{scheme}:// storage needs {driver or 'a driver'}: "
                             f"{hint}") from None
    except ValueError as error:
        raise ArchiverUsageError(f"{url}: not a storage URL archiver can reach ({error})"
                                 ) from None
    return Store(url, fs, str(path).rstrip("/"))


def require_bucket(store: Store) -> None:
    """Refuse a bucketed store's URL whose bucket is not there (or not visible): one line
    naming it, before any work. Raises EnvironmentFault (exit 3)."""
    if store.has_buckets():
        bucket = store.path.split("/", 1)[0]
        if not store.fs.exists(bucket):
            raise EnvironmentFault(store.url, f"no bucket {bucket!r} on the storage (or no "
                                   "access to it); archiver never creates buckets")


@contextmanager
def storage_errors(url: str) -> Iterator[None]:
    """Every failure of the storage as one EnvironmentFault naming `url` (exit 3): refused
    credentials, a bucket that does not exist, the network. archiver's own errors pass."""
    try:
        yield
    except ArchiverError:
        raise
    except PermissionError as error:
        raise EnvironmentFault(url, f"the storage refused access ({_said(error)}); check the "
                               "credentials (docs/storage.md)") from None
    except FileNotFoundError as error:
        raise EnvironmentFault(url, f"not found on the storage ({_said(error)})") from None
    except (OSError, TimeoutError) as error:
        raise EnvironmentFault(url, f"the storage failed ({_said(error)})") from None
    except Exception as error:
        # Drivers raise their own kinds too (botocore's NoCredentialsError, an endpoint that
        # does not answer): anything from a driver's modules is the storage failing.
        if "Credentials" in type(error).__name__:
            raise EnvironmentFault(url, f"no credentials for the storage ({_said(error)}); "
                                   "give them in the environment or the storage's config "
                                   "files (docs/storage.md)") from None
        module = type(error).__module__.split(".", 1)[0]
        if module in ("botocore", "aiobotocore", "aiohttp", "s3fs", "gcsfs", "adlfs",
                      "google", "azure", "fsspec"):
            raise EnvironmentFault(url, f"the storage failed ({_said(error)})") from None
        raise

def _said(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:300]


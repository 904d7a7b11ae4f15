"""Reaching a Dask cluster: `local` (or `local:N`) starts one on this machine; anything else
is the address of a running scheduler (`tcp://HOST:8786`).

Dask distributed is an optional part (`pip install 'archiver[cluster]'`): it is imported
here, when a cluster is asked for, and never when archiver runs on one machine.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from archiver.errors import ArchiverUsageError, ClusterUnavailable

if TYPE_CHECKING:
    from distributed import Client

LOCAL = "local"
INSTALL_HINT = "pip install 'archiver[cluster]'"
PRELOAD = "archiver.cluster.preload"
"""The module a worker loads as it starts (`dask worker --preload`): archiver's code, ready
before the first batch."""
CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a scheduler before saying it cannot be reached."""
LOCAL_CONFIG = {
    # A worker that dies holding a host's connection lease gives it back within seconds,
    # not the default 30: its URLs are retried elsewhere and wait on that lease.
    "distributed.scheduler.locks.lease-timeout": "6s",
    "distributed.scheduler.locks.lease-validation-interval": "1s",
}


def local_workers(address: str) -> int | None:
    """How many workers `local` or `local:N` asks for; None for a scheduler's address.

    >>> local_workers("local:2"), local_workers("tcp://10.0.0.5:8786")
    (2, None)
    """
    if address != LOCAL and not address.startswith(f"{LOCAL}:"):
        return None
    count = address.partition(":")[2]
    if not count:
        return os.cpu_count() or 1
    if not count.isdigit() or not 1 <= int(count) <= 256:
        raise ArchiverUsageError(f"--cluster {address}: give local, local:N (N workers, 1 to "
                                 "256) or a scheduler's address such as tcp://HOST:8786")
    return int(count)


@contextmanager
def cluster_client(address: str, *, timeout: float = CONNECT_TIMEOUT) -> Iterator[Client]:
    """A client of the cluster at `address` (a new local one for `local[:N]`), closed (and
    the local cluster stopped) on the way out. Raises ClusterUnavailable when Dask is not
    installed or the scheduler does not answer within `timeout` seconds."""
    workers = local_workers(address)
    try:
        import dask
        import distributed
    except ImportError:
        raise ClusterUnavailable(address, "Dask distributed is not installed; install it "
                                 f"with {INSTALL_HINT}") from None
    # Dask's own log lines (a worker lost, a task retried) are not the user's to read:
    # archiver says what happened in its own words.
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    if workers is not None:
        with dask.config.set(LOCAL_CONFIG):
            cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=":0", silence_logs=logging.CRITICAL,
                preload=[PRELOAD])
        try:
            with distributed.Client(cluster, set_as_default=False) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ClusterUnavailable(address, f"cannot reach the scheduler ({reason[:160]})"
                                 ) from None
    with client:
        yield client


def worker_count(client: Client) -> int:
    """Workers connected now (at least 1, for sizing the work handed out)."""
    return max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))

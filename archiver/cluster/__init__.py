"""Running archiver's verbs on a Dask cluster (docs/cluster.md): capture in batches on the
workers, sealed into one package by the driver; verify and extract spread over the workers.
Dask distributed is an optional part (archiver[cluster]); nothing here loads it at import."""

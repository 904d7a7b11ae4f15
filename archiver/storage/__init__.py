"""Packages on object storage (s3://, gs://, abfs://, any fsspec URL; docs/storage.md).

A package is always built and sealed on local disk first, exactly as a local one, then
uploaded: every file, the tag manifest, and last a completion marker (`completion.py`), since
an object store has no rename. Reading goes the other way: the marker is checked first, then
every object is downloaded in chunks into a local temporary folder, hashed as it comes, and
read there by the ordinary readers. `targets.py` is what the verbs use: one output target,
one input target, each local path left exactly as it was.

Nothing here is imported unless a URL is given: fsspec and its storage drivers load only then.
"""

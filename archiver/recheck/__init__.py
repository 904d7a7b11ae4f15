"""Recheck: fetch a package's sources again into a new package that names the original,
and say per source what changed since (`recheck_package`, `recheck_directory`)."""

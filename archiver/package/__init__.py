"""Evidence packages: BagIt bags with archiver's manifest.json, built under a temporary name
and sealed by one rename."""

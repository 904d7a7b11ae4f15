"""Collections of packages: `archiver index` (build.py) puts many packages' sources and texts
into one SQLite file (archiver.textsearch.collection), `archiver search` (search.py) answers
from it, and `--dedup` (dedup.py) asks it whether a payload was captured before."""

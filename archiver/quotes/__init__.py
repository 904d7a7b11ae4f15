"""Where exactly a package's sources say a passage: `archiver quote` (lookup.py), and the
anchor each answer gives (anchor.py). The subpackage's `__init__` imports nothing."""

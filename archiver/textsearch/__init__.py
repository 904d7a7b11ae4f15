"""Finding passages in extracted text: one normal form for both sides of a search
(`normalise.py`), the SQLite FTS5 index that finds the documents worth reading
(`fts.py`), where exactly a passage stands in one text, or the closest one to it
(`align.py`), and the link that opens it in a browser (`fragment.py`).

`archiver quote` and story mode use it on one package's index; a collection of packages
can use the same index format. Nothing here knows of packages or WARCs: documents are
rows with the fields their maker gives. The subpackage's `__init__` imports nothing.
"""

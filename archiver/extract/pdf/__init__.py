"""PDFs: text and metadata (extraction.py, the entry: `extract_pdf`), read in a child process
with memory and time allowances (process.py), the repair of damaged files, reading order and
layout, XMP and dates.

Nothing is imported here, so that a module that needs one part does not load pypdf and
PDFium with it.
"""

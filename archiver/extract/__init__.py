"""Text and metadata of captured pages and reports (HTML and PDF), from packages, WARCs of any
tool, or loose files: `extract` (api.py) for readers, `extract_captured` for the capture job."""

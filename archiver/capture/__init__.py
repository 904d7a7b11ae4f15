"""Capturing sources: the frontier decides what to fetch, the transport fetches one exchange,
requisites finds what a page needs to render, and the job ties them to the WARC writer."""

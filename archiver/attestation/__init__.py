"""Proof of when and by whom: keys, signatures, trusted timestamps and the custody log.

Attestations sit beside a sealed bag as new files (see `archiver.package_layout`); they never
rewrite evidence. Modules here import nothing of capture, story or replay.
"""

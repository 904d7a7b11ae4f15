"""Move evidence between machines: export a package as a WACZ (for replay tools) or as one
zip (for mail or upload), and unpack an archive from elsewhere safely. `check_wacz` is
verification's, offered here too."""

from __future__ import annotations

from archiver.transfer.results import ExportedFile, ExportResult
from archiver.transfer.unpack import unpack_archive
from archiver.transfer.wacz_export import export_wacz
from archiver.transfer.zip_export import export_zip
from archiver.verification.wacz_check import check_wacz

__all__ = ["ExportResult", "ExportedFile", "check_wacz", "export_wacz", "export_zip",
           "unpack_archive"]

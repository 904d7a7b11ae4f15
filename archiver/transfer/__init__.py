"""Move evidence between machines: export a package as a WACZ (for replay tools) or as one
zip (for mail or upload), check a WACZ, and unpack an archive from elsewhere safely."""

from __future__ import annotations

from archiver.transfer.results import ExportedFile, ExportResult
from archiver.transfer.unpack import unpack_archive
from archiver.transfer.wacz_check import check_wacz
from archiver.transfer.wacz_export import export_wacz
from archiver.transfer.zip_export import export_zip

__all__ = ["ExportResult", "ExportedFile", "check_wacz", "export_wacz", "export_zip",
           "unpack_archive"]

"""Reading X.509 certificates that come from outside (a server's chain, a timestamp token, a
WACZ's signedData), without a library warning reaching the user's terminal.

cryptography warns (CryptographyDeprecationWarning) about certificates it still reads but will
refuse one day, such as a negative serial number. From a hostile source such a certificate is
just bytes to judge: the checks say what is wrong with it, and a warning printed to stderr
would be noise a journalist cannot act on. A certificate that cannot be read raises ValueError,
as cryptography's own loaders do.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509


def load_der_certificate(der: bytes) -> x509.Certificate:
    """One certificate from DER bytes; ValueError if they are not one."""
    from cryptography import x509
    from cryptography.utils import CryptographyDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return x509.load_der_x509_certificate(der)


def load_pem_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate of a PEM text; ValueError if one of them cannot be read."""
    from cryptography import x509
    from cryptography.utils import CryptographyDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return x509.load_pem_x509_certificates(data)


def quiet_hostile_certificate_warnings() -> None:
    """Silence, from here on, cryptography's warning about a certificate with a serial number
    that is not positive, which it gives again whenever that number is read (matching a
    token's signer, describing a server's chain). For the command line only: a library caller
    keeps its own warning filters."""
    warnings.filterwarnings("ignore", message="Parsed a serial number which wasn't positive")

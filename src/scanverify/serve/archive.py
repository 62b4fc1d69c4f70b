"""Verification of archives too large for one machine, mapped over Dask (the ``dask`` extra).

    import dask.bag as db
    from scanverify.serve.archive import verify_bag
    results = verify_bag(db.from_sequence(paths, npartitions=64), Verifier()).compute()

Each partition gets the pickled verifier (its trust store and clock) once, and
verifies its images where it runs: on a laptop's processes, or on a
``dask.distributed`` cluster whose workers can read the paths. The answer is a
bag of the objects ``scanverify --json`` prints, one per code found.
"""

from __future__ import annotations

import copyreg
from collections.abc import Iterable
from typing import Any

__all__ = ["picklable", "verify_bag", "verify_partition"]


def _public_key_from_der(der: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    return load_der_public_key(der)


def _crl_from_der(der: bytes) -> Any:
    from cryptography import x509

    return x509.load_der_x509_crl(der)


def _reduce_public_key(key: Any) -> tuple[Any, tuple[bytes]]:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return _public_key_from_der, (key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),)


def _reduce_crl(crl: Any) -> tuple[Any, tuple[bytes]]:
    from cryptography.hazmat.primitives.serialization import Encoding

    return _crl_from_der, (crl.public_bytes(Encoding.DER),)


def picklable(verifier: Any) -> Any:
    """`verifier`, after teaching pickle the `cryptography` objects its trust store holds.

    `cryptography`'s keys and CRLs are Rust objects that do not pickle; a trusted
    key travels as its DER SubjectPublicKeyInfo (exactly the key, nothing else)
    and is loaded again on the other side. (Keys of curves `cryptography` lacks
    are scanverify's own Python objects and pickle as they are.)
    """
    store = verifier.trust
    for key in store:
        kind = type(key.public_key)
        if kind.__module__.startswith("cryptography") and kind not in copyreg.dispatch_table:
            copyreg.pickle(kind, _reduce_public_key)
    for crl in store.crls:
        if type(crl) not in copyreg.dispatch_table:
            copyreg.pickle(type(crl), _reduce_crl)
    return verifier


def verify_partition(items: Iterable[Any], verifier: Any, redact: bool = False) -> list[dict[str, Any]]:
    """The --json objects for every image in `items` (paths, or (source, bytes) pairs).

    An image that cannot be read gives an ``error`` object and the partition goes
    on: one bad file never loses the rest of an archive.
    """
    from datetime import UTC, datetime

    from ..errors import ScanverifyError
    from ..model import Cause, Status, VerificationResult

    out: list[dict[str, Any]] = []
    for item in items:
        source, image = (item if isinstance(item, tuple) else (str(item), str(item)))
        try:
            results = verifier.verify_image(image, source=source)
        except ScanverifyError as exc:
            results = [
                VerificationResult(Status.ERROR, exc.diagnostics(), source, datetime.now(UTC), cause=Cause.INPUT_ERROR)
            ]
        out += [(r.redacted() if redact else r).to_json() for r in results]
    return out


def verify_bag(bag: Any, verifier: Any, *, redact: bool = False) -> Any:
    """A Dask bag of --json objects: `bag` (of paths or (source, bytes) pairs) verified, partition by partition."""
    return bag.map_partitions(verify_partition, picklable(verifier), redact)

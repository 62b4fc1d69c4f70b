"""Trust: the public keys and certificates a verdict of `genuine` may rest on.

Every entry is scoped (seal-format.md section 7): a bundle entry or a bare
public key signs CS1 seals unless the entry names its formats; a certificate
is trust for the certificate-based formats (an EU DCC signer as given; for the
chained formats an anchor if it is a CA, else a signer certificate that must
chain to one). Sources are kinds of file (:class:`TrustSource`): a bundle, PEM,
DER certificates and the kinds that format plug-ins add (a JWKS, a trust-service
list). The default bundle ships inside the package and holds public material only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ._files import package_data
from .algorithms import ALGORITHMS, kid_of, load_der_public_key, spki_der
from .errors import TrustError
from .model import Role, TrustedKey

__all__ = [
    "BUNDLE_FORMAT",
    "FORMATS_BUILT_IN",
    "TrustSource",
    "TrustStore",
    "key_from_public",
    "parse_time",
    "trust_sources",
]

BUNDLE_FORMAT = "scanverify.trust.v1"
#: Trust files are small; a larger one is refused before it is parsed.
MAX_TRUST_FILE_BYTES = 8 * 1024 * 1024
_COUNTRY = re.compile(r"[A-Z]{2}")
#: What a bundle entry serves when it does not say (section 7): CS1.
DEFAULT_ENTRY_FORMATS = frozenset({"CS1"})
#: Formats whose iss is an ISO 3166-1 alpha-2 state code.
STATE_FORMATS = frozenset({"CS1", "HC1"})
MAX_ISSUER_CHARS = 500


@runtime_checkable
class TrustSource(Protocol):
    """A kind of trust file: a bundle, a PEM key, a CRL, a JWKS, a trust-service list."""

    @property
    def name(self) -> str: ...

    def sniff(self, data: bytes) -> bool:
        """Cheaply: is this file of my kind?"""
        ...

    def load(self, data: bytes, source: str) -> TrustStore:
        """Load it, or raise TrustError with one line."""
        ...


def parse_time(text: Any, what: str) -> datetime:
    """An ISO-8601 time with a zone; naive times are refused, not guessed."""
    if not isinstance(text, str):
        raise TrustError(f"{what} is not an ISO-8601 time string")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise TrustError(f"{what} is not an ISO-8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise TrustError(f"{what} has no time zone: {text!r} (add Z for UTC)")
    return moment


def key_from_public(public_key: Any, **terms: Any) -> TrustedKey:
    """A TrustedKey for a `cryptography` public key, refusing types no algorithm uses."""
    signs_cose = (
        terms.get("role", Role.SIGNER) is Role.SIGNER and (terms.get("formats") or STATE_FORMATS) <= STATE_FORMATS
    )
    # A key that is to sign CS1/HC1 seals must fit one of their algorithms; a
    # certificate for the chained formats may use any curve they allow (brainpool).
    if signs_cose and not any(a.fits(public_key) for a in ALGORITHMS.values()):
        raise TrustError(
            f"unsupported public key type {type(public_key).__name__}"
            " (supported: EC P-256/P-384/P-521, RSA >= 2048 bits, Ed25519)"
        )
    certificates: tuple[bytes, ...] = terms.pop("certificates", ())
    kids = {kid_of(public_key)}
    # EU DCC names a signer by the first 8 bytes of SHA-256 over its certificate.
    kids.update(hashlib.sha256(der).digest()[:8] for der in certificates[:1])
    return TrustedKey(
        public_key=public_key,
        spki=spki_der(public_key),
        kids=frozenset(kids),
        certificates=certificates,
        **terms,
    )


def _key_from_certificate(der: bytes, source: str, **terms: Any) -> TrustedKey:
    """A certificate given as trust: an anchor if it is a CA, else a signer
    certificate (unless ``terms`` say otherwise). Read leniently (scanverify.x509):
    real CSCAs use explicit EC parameters, NULL-parameter ECDSA, brainpoolP224r1."""
    from .x509 import load_certificate, trusted_key

    try:
        certificate = load_certificate(der)
    except TrustError as exc:
        raise TrustError(f"{source}: not a readable X.509 certificate ({exc})") from None
    except ValueError as exc:
        raise TrustError(f"{source}: not a readable X.509 certificate ({exc})") from None
    # The certificate's own validity is not made the key's time bounds: a
    # certificate is "one key, active, no time bounds" (seal-format.md
    # section 7). Formats that give it meaning (HC1, the chained ones) read it
    # from the certificate.
    if not terms.get("name"):
        terms.pop("name", None)
    return trusted_key(certificate, source, **terms)


@dataclass(frozen=True)
class TrustStore:
    """An immutable set of trusted keys, certificates, CRLs and revoked seals; `+` merges two."""

    keys: tuple[TrustedKey, ...] = ()
    revoked_seals: frozenset[str] = frozenset()
    sources: tuple[str, ...] = ()
    versions: Mapping[str, int] = field(default_factory=dict)
    """The version of each bundle loaded, by source."""
    expires: datetime | None = None
    """The earliest ``expires`` of the bundles loaded: past it, the keys may be stale."""
    crls: tuple[Any, ...] = ()
    """Certificate revocation lists given as trust input (checked against their CA when used)."""
    warnings: tuple[str, ...] = ()
    """What every verdict made with this store must say (e.g. a fallback to the built-in bundle)."""
    deferred: tuple[tuple[str, str], ...] = ()
    """Built-in trust too large to load at every start (650 SMART Health Card issuers), as
    (format name, "module:function" of a loader returning a TrustStore): loaded the first
    time a seal of that format is verified (:meth:`for_format`)."""
    _cache: dict[Hashable, Any] = field(default_factory=dict, init=False, compare=False, repr=False, hash=False)

    # ---- building -------------------------------------------------------
    @classmethod
    def default(cls) -> TrustStore:
        """The trust that ships inside the package (public material only): the built-in
        bundle, and the formats' larger built-in trust (certificates, the VCI issuer
        directory), loaded when a seal of their format is first verified."""
        text = package_data("default_trust.json").decode("utf-8")
        return replace(cls.from_bundle(json.loads(text), source="built-in trust bundle"), deferred=(FORMATS_BUILT_IN,))

    @classmethod
    def installed(cls) -> TrustStore:
        """The store ``Verifier()`` uses: the installed signed trust list if it is valid
        and newer than the built-in bundle, else the built-in bundle. Problems with an
        installed list are warned about (RuntimeWarning)."""
        from .verifier import _trust_in_use

        return _trust_in_use()

    @classmethod
    def from_file(cls, path: str | Path) -> TrustStore:
        """A trust bundle (.json), a PEM public key or certificate, or a DER certificate."""
        return cls.from_bytes(read_trust_file(path), source=str(path))

    @classmethod
    def from_bytes(cls, data: bytes, source: str) -> TrustStore:
        """Any kind of trust file, told apart by its content (:func:`trust_sources`)."""
        # A bundle is told first, before the other kinds (and the format plug-ins
        # that add some) are loaded: the usual --trust file costs no more.
        bundle = _BundleSource()
        if bundle.sniff(data):
            return bundle.load(data, source)
        for kind in trust_sources()[1:]:
            if kind.sniff(data):
                return kind.load(data, source)
        expected = ", ".join(kind.name for kind in trust_sources())
        raise TrustError(f"{source}: not a kind of trust file scanverify reads (expected {expected})")

    @classmethod
    def from_bundle(cls, bundle: Any, source: str) -> TrustStore:
        """Load a trust bundle already parsed from JSON, checking every field."""
        if not isinstance(bundle, dict):
            raise TrustError(f"{source}: a trust bundle is a JSON object")
        # A bundle names its format; one that does not is read as this format
        # (every field is still checked), one that names another is refused.
        if bundle.get("format", BUNDLE_FORMAT) != BUNDLE_FORMAT:
            raise TrustError(f"{source}: not a {BUNDLE_FORMAT} trust bundle (format is {bundle.get('format')!r})")
        version = bundle.get("version", 0)
        if type(version) is not int or version < 0:
            raise TrustError(f"{source}: version must be a non-negative integer")
        entries = bundle.get("keys", [])
        if not isinstance(entries, list):
            raise TrustError(f"{source}: keys must be a list")
        keys = tuple(_key_from_entry(entry, f"{source}, key {i + 1}") for i, entry in enumerate(entries))
        revoked = bundle.get("revoked_seals", [])
        if not isinstance(revoked, list) or not all(isinstance(r, str) for r in revoked):
            raise TrustError(f"{source}: revoked_seals must be a list of 'ISS/NO' strings")
        expires = parse_time(bundle["expires"], f"{source}: expires") if bundle.get("expires") is not None else None
        return cls(
            keys=keys,
            revoked_seals=frozenset(revoked),
            sources=(source,),
            versions={source: version},
            expires=expires,
        )

    def __add__(self, other: TrustStore) -> TrustStore:
        return TrustStore(
            keys=self.keys + other.keys,
            revoked_seals=self.revoked_seals | other.revoked_seals,
            sources=self.sources + other.sources,
            versions={**self.versions, **other.versions},
            expires=min((e for e in (self.expires, other.expires) if e is not None), default=None),
            crls=self.crls + other.crls,
            warnings=self.warnings + tuple(w for w in other.warnings if w not in self.warnings),
            deferred=self.deferred + tuple(d for d in other.deferred if d not in self.deferred),
        )

    @classmethod
    def combine(cls, stores: Iterable[TrustStore]) -> TrustStore:
        result = cls()
        for store in stores:
            result = result + store
        return result

    def __getstate__(self) -> dict[str, Any]:
        # The cache is rebuilt where the store is used (its keys hold functions).
        return {**self.__dict__, "_cache": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    # ---- using ----------------------------------------------------------
    def __iter__(self) -> Iterator[TrustedKey]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def for_format(self, format_name: str) -> TrustStore:
        """This store with the deferred built-in trust of ``format_name`` loaded (once)."""
        if not self.deferred:
            return self
        cache_key = ("deferred", format_name)
        found = self._cache.get(cache_key)
        if found is None:
            found = self
            for loader in self._loaders(format_name):
                found = found + _load_deferred(loader)
            found = replace(found, deferred=())
            self._cache[cache_key] = found
        return found

    def _loaders(self, format_name: str) -> list[str]:
        loaders = [loader for name, loader in self.deferred if name == format_name]
        if FORMATS_BUILT_IN in self.deferred:
            # Asked of this format alone, now that a seal of it is seen: no
            # other format's plug-in is loaded to find out (cold start).
            from .formats import format_named

            loader = getattr(format_named(format_name), "built_in_trust", None)
            if isinstance(loader, str) and ":" in loader and loader not in loaders:
                loaders.append(loader)
        return loaders

    def entries(self, format_name: str, roles: Sequence[Role]) -> tuple[TrustedKey, ...]:
        """The entries of these roles whose scope includes ``format_name``."""
        return tuple(key for key in self.keys if key.role in roles and key.serves(format_name))

    def signers(self, format_name: str) -> tuple[TrustedKey, ...]:
        """The keys that may sign seals of ``format_name``."""
        return self.entries(format_name, (Role.SIGNER,))

    def anchors(self, format_name: str) -> tuple[TrustedKey, ...]:
        """The CA certificates that may certify signers of ``format_name``."""
        return self.entries(format_name, (Role.ANCHOR,))

    def certificates(self, format_name: str) -> tuple[TrustedKey, ...]:
        """Signer certificates given for ``format_name``, trusted only through an anchor."""
        return self.entries(format_name, (Role.CERTIFICATE,))

    def index(
        self,
        format_name: str,
        hints: Callable[[TrustedKey], Iterable[Hashable]],
        roles: Sequence[Role] = (Role.SIGNER,),
    ) -> Mapping[Hashable, tuple[TrustedKey, ...]]:
        """The entries for ``format_name`` by each key hint ``hints`` gives for them.

        Built once per store and kept (a store is immutable). The hint a seal
        carries is unauthenticated: it only picks which keys to try, and a
        collision just means trying more than one.
        """
        cache_key = (format_name, hints, tuple(roles))
        found = self._cache.get(cache_key)
        if found is None:
            by_hint: dict[Hashable, list[TrustedKey]] = {}
            for key in self.entries(format_name, roles):
                for hint in hints(key):
                    by_hint.setdefault(hint, []).append(key)
            found = {hint: tuple(keys) for hint, keys in by_hint.items()}
            self._cache[cache_key] = found
        return found

    def candidates(self, kid: bytes) -> list[TrustedKey]:
        """Every trusted key named by ``kid``, whatever its scope (for `trust show` and tests)."""
        return [key for key in self.keys if kid in key.kids]

    def stale_at(self, moment: datetime) -> bool:
        """True when a bundle in use is past its ``expires`` at ``moment``."""
        return self.expires is not None and moment > self.expires

    def is_revoked_key(self, key: TrustedKey) -> bool:
        """A key is revoked if any source that lists it says so (in any scope: a
        compromised key is compromised for every format)."""
        revoked = self._cache.get("revoked-spki")
        if revoked is None:
            revoked = self._cache["revoked-spki"] = frozenset(k.spki for k in self.keys if k.revoked)
        return key.revoked or key.spki in revoked


#: In ``TrustStore.deferred``: every format's own ``built_in_trust``, each loaded
#: when a seal of that format is first verified.
FORMATS_BUILT_IN = ("*", "built_in_trust")


def _load_deferred(loader: str) -> TrustStore:
    """Run a deferred built-in trust loader; a broken one is said with every verdict, not raised."""
    import importlib

    module_name, _, function = loader.partition(":")
    try:
        store = getattr(importlib.import_module(module_name), function)()
        if not isinstance(store, TrustStore):
            raise TypeError(f"it returned a {type(store).__name__}, not a TrustStore")
    except Exception as exc:  # built-in data that cannot load must not stop a verification
        detail = exc.diagnostics() if isinstance(exc, TrustError) else f"{type(exc).__name__}: {exc}"
        return TrustStore(warnings=(f"built-in trust {loader} could not be loaded: {detail}",))
    return store


def read_trust_file(path: str | Path) -> bytes:
    """A trust file's bytes; refused past MAX_TRUST_FILE_BYTES before it is all read."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_TRUST_FILE_BYTES + 1)
    except OSError as exc:
        raise TrustError(f"{path}: cannot read trust file ({exc.strerror or exc})") from None
    if len(data) > MAX_TRUST_FILE_BYTES:
        raise TrustError(f"{path}: trust file is larger than {MAX_TRUST_FILE_BYTES >> 20} MiB")
    return data


def parse_json(data: bytes, source: str) -> Any:
    """JSON from untrusted bytes, every failure a one-line TrustError.

    A key given twice in one object is refused: parsers disagree on which one
    counts, so a list reviewed with one tool could be read otherwise here.
    """
    try:
        text = data.decode("utf-8")
        if text.startswith("\ufeff"):  # what json.loads says of a BOM, said here too
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        # json.loads(text, object_pairs_hook=...) without making a decoder per call.
        return _STRICT_JSON.decode(text)
    # ValueError too: an integer of over 4300 digits is refused by int() with a
    # plain ValueError, not a JSONDecodeError (found in review, see
    # tests/test_security.py::test_huge_json_integer_is_a_trust_error).
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise TrustError(f"{source}: not valid JSON ({exc})") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # dict() in C, then one comparison: fewer entries than pairs is a key given twice
    # (found, to be named, only then).
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return result


_STRICT_JSON = json.JSONDecoder(object_pairs_hook=_unique_keys)


def _keys_from_pem(data: bytes, source: str) -> Iterator[TrustedKey]:
    blocks = re.findall(rb"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", data, re.S)
    if not blocks:
        raise TrustError(f"{source}: no complete PEM block found")
    found = 0
    for match in re.finditer(rb"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", data, re.S):
        label, block = match.group(1), match.group(0)
        if label == b"CERTIFICATE":
            try:
                der = base64.b64decode(b"".join(block.splitlines()[1:-1]), validate=True)
            except (binascii.Error, ValueError):
                raise TrustError(f"{source}: unreadable certificate (bad base64)") from None
            try:
                yield _key_from_certificate(der, source)
            except TrustError as exc:
                raise TrustError(f"{source}: unreadable certificate ({exc})") from None
        elif label == b"PUBLIC KEY":
            from cryptography.exceptions import UnsupportedAlgorithm
            from cryptography.hazmat.primitives import serialization

            try:
                public_key = serialization.load_pem_public_key(block)
            except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
                raise TrustError(f"{source}: unreadable public key ({exc})") from None
            # A bare public key is CS1 trust (section 7): one key, active, no bounds.
            yield key_from_public(public_key, source=source, name=Path(source).stem, formats=DEFAULT_ENTRY_FORMATS)
        elif b"PRIVATE KEY" in label:
            # A private key handed in as trust is a mistake worth stopping for:
            # it should never be copied to a verifying machine.
            raise TrustError(f"{source}: holds a PRIVATE key; give the public key (.pub.pem) instead")
        else:
            continue
        found += 1
    if not found:
        raise TrustError(f"{source}: no PUBLIC KEY or CERTIFICATE in the PEM file")


def _key_from_entry(entry: Any, where: str) -> TrustedKey:
    if not isinstance(entry, dict):
        raise TrustError(f"{where}: a key entry is a JSON object")
    terms: dict[str, Any] = {"source": where.rsplit(", key", 1)[0]}
    name = entry.get("name", "")
    if not isinstance(name, str):
        raise TrustError(f"{where}: name must be text")
    terms["name"] = name
    scope = entry.get("formats")
    if scope is not None and not (isinstance(scope, list) and scope and all(isinstance(f, str) and f for f in scope)):
        raise TrustError(f"{where}: formats must be a non-empty list of format names like 'CS1'")
    terms["formats"] = frozenset(scope) if scope is not None else DEFAULT_ENTRY_FORMATS
    role = entry.get("role", Role.SIGNER.value)
    if role not in {r.value for r in Role}:
        raise TrustError(f"{where}: role must be one of {', '.join(r.value for r in Role)}, not {role!r}")
    terms["role"] = Role(role)
    iss = entry.get("iss")
    if iss is not None:
        if terms["formats"] <= STATE_FORMATS:
            if not (isinstance(iss, str) and _COUNTRY.fullmatch(iss)):
                raise TrustError(f"{where}: iss must be an ISO 3166-1 alpha-2 code like 'CN'")
        elif not (isinstance(iss, str) and 0 < len(iss) <= MAX_ISSUER_CHARS):
            raise TrustError(f"{where}: iss must be text of at most {MAX_ISSUER_CHARS} characters")
    terms["iss"] = iss
    origin = entry.get("origin", "")
    if not isinstance(origin, str):
        raise TrustError(f"{where}: origin must be text")
    terms["origin"] = origin
    alg = entry.get("alg")
    # isinstance first: a list or object here is unhashable, and must be a
    # TrustError, not a crash (found by benchmarks/fuzz, target bundle).
    if alg is not None and (not isinstance(alg, str) or alg not in ALGORITHMS):
        raise TrustError(f"{where}: unknown alg {alg!r} (known: {', '.join(ALGORITHMS)})")
    terms["alg"] = alg
    for bound in ("not_before", "not_after"):
        if entry.get(bound) is not None:
            terms[bound] = parse_time(entry[bound], f"{where}: {bound}")
    status = entry.get("status", "active")
    if status not in ("active", "revoked"):
        raise TrustError(f"{where}: status must be 'active' or 'revoked', not {status!r}")
    terms["revoked"] = status == "revoked"
    specimen = entry.get("specimen", False)
    if not isinstance(specimen, bool):
        raise TrustError(f"{where}: specimen must be true or false")
    terms["specimen"] = specimen

    if "spki" in entry:
        der = _b64(entry["spki"], f"{where}: spki")
        from cryptography.exceptions import UnsupportedAlgorithm

        try:
            public_key = load_der_public_key(der)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise TrustError(f"{where}: spki is not a readable public key ({exc})") from None
        key = key_from_public(public_key, **terms)
    elif "x5c" in entry:
        chain = entry["x5c"]
        if not isinstance(chain, list) or not chain:
            raise TrustError(f"{where}: x5c must be a non-empty list of base64 certificates")
        ders = [_b64(c, f"{where}: x5c") for c in chain]
        key = _key_from_certificate(ders[0], **terms)
        key = replace(key, certificates=tuple(ders))
        if key.role is not Role.SIGNER and len(ders) != 1:
            raise TrustError(f"{where}: an {key.role.value} entry holds exactly one certificate")
    else:
        raise TrustError(f"{where}: needs spki or x5c")

    if alg is not None and not ALGORITHMS[alg].fits(key.public_key):
        raise TrustError(f"{where}: alg {alg} does not fit this key's type")
    # A stated kid must be a computed one (the key's, or with x5c the EU DCC
    # kid of the certificate); a mismatch means the entry was edited by hand
    # or is for another key, and is not used.
    stated = entry.get("kid")
    if "kid" in entry and (not isinstance(stated, str) or stated.lower() not in {k.hex() for k in key.kids}):
        computed = " or ".join(sorted(k.hex() for k in key.kids))
        raise TrustError(f"{where}: kid {stated!r} does not match the key (computed {computed})")
    return key


def _b64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise TrustError(f"{what} must be base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise TrustError(f"{what} is not valid base64") from None


# ---------------------------------------------------------------- kinds of trust file
class _BundleSource:
    name = 'a scanverify trust bundle (JSON with "format")'

    def sniff(self, data: bytes) -> bool:
        if not data.lstrip().startswith(b"{"):
            return False
        document = _json_or_none(data)
        if not isinstance(document, dict):
            return True  # broken JSON: let the bundle reader say what is wrong with it
        if "format" in document:
            return True
        # A bundle written without its format field is still read as one when its
        # keys are bundle entries (spki or x5c); any other JSON is not a bundle.
        keys = document.get("keys")
        return (
            isinstance(keys, list)
            and all(isinstance(k, dict) and ("spki" in k or "x5c" in k) for k in keys)
            and not (set(document) - {"version", "keys", "revoked_seals", "expires"})
        )

    def load(self, data: bytes, source: str) -> TrustStore:
        return TrustStore.from_bundle(parse_json(data, source), source=source)


class _PemSource:
    name = "a PEM public key or certificate"

    def sniff(self, data: bytes) -> bool:
        return b"-----BEGIN" in data[:65536]

    def load(self, data: bytes, source: str) -> TrustStore:
        return TrustStore(keys=tuple(_keys_from_pem(data, source)), sources=(source,))


class _DerCertificateSource:
    name = "a DER X.509 certificate"

    def sniff(self, data: bytes) -> bool:
        # A DER SEQUENCE: the certificate parser says the rest.
        return data[:1] == b"\x30"

    def load(self, data: bytes, source: str) -> TrustStore:
        return TrustStore(keys=(_key_from_certificate(data, source),), sources=(source,))


def _json_or_none(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _built_in_sources() -> tuple[TrustSource, ...]:
    from .x509 import CrlSource

    # A PEM CRL is a CRL before it is "some PEM file".
    return (_BundleSource(), CrlSource(), _PemSource())


def trust_sources() -> tuple[TrustSource, ...]:
    """Every kind of trust file, in the order they are tried: bundles and PEM, then the
    kinds format plug-ins add, then DER (certificates, CRLs, master lists)."""
    from .formats import formats

    added: list[TrustSource] = []
    for fmt in formats():
        added.extend(getattr(fmt, "trust_sources", ()))
    return (*_built_in_sources(), *added, *_der_sources())


def _der_sources() -> tuple[TrustSource, ...]:
    from .x509 import MasterListSource

    # Every DER file starts 0x30: the master list is told by its content type,
    # the CRL (above) by its structure, and what is left is read as a certificate.
    return (MasterListSource(), _DerCertificateSource())

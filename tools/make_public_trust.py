"""(Re)write the public trust anchors and signers of the real-world formats into the
built-in trust, from the published material in ../shared/conformance.

    python3 dev.py python tools/make_public_trust.py [--shared PATH] [--check]

Every entry is public material only, with its ``origin``; test issuers are marked
``specimen``. Two files, both valid ``scanverify.trust.v1`` bundles:

- ``src/scanverify/data/default_trust.json`` (loaded at every start): the SMART
  Health Cards spec examples' issuer keys (specimen signers bound to their iss
  URL). Every other entry (the CS1 specimen made by tools/make_samples.py) is
  kept; the entries this tool owns (those naming one of OWNED_FORMATS) are
  replaced, and ``version`` is bumped when anything changed.
- ``src/scanverify/data/public_certificates.json``: the certificates. Reading an
  X.509 certificate leniently (scanverify.x509, asn1crypto) costs about 2.5 ms
  each, plus ~100 ms of imports; at every start that would be several times the
  cost of everything else. So they are *deferred* built-in trust
  (scanverify.formats._builtin_trust): each chained format loads the entries
  that serve it the first time one of its seals is verified. They are the VDS
  test signers of the ICAO VDS suites (pinned, specimen: their CAs are not
  published); the Australian and Japanese CSCAs (anchors for VDS and VDS-NC);
  the ICAO "Utopia" barcode signers of the VDS-NC examples (pinned, specimen);
  the ANTS 2D-Doc test certificate FR00 (specimen signer); the ANTS
  certification authorities FR01, FR03 ... FR07 (anchors for 2D-DOC, each
  checked against the signed ANTS trust-service list); and the ~220 leaf
  certificates those CAs issued (role ``certificate``: trusted only through
  their CA). A real 2D-Doc names its signer by CA id + certificate id and
  carries no certificate, so shipping the leaves is what lets a real French
  document verify offline.

``--check`` writes nothing and exits 1 if either file would change.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "scanverify" / "data"
BUNDLE = DATA / "default_trust.json"
CERTIFICATES = DATA / "public_certificates.json"
#: The formats whose built-in entries this tool owns (and replaces on every run).
OWNED_FORMATS = frozenset({"VDS", "VDS-NC", "2D-DOC", "SHC"})

TSENGER = "https://github.com/tsenger/vdstools (commit 2d981977, Apache-2.0)"
KURZ = "https://github.com/kurzdigital/vds-jvm (commit ce81bb9d, MIT)"
APO = "https://github.com/australian-passport-office/vds-nc-reader-library-android (commit b787604c, Apache-2.0)"
NIPO = "https://github.com/nipo/tdd (commit 84219f56, MIT), as published by ANTS"
SHC_SPEC = "https://spec.smarthealth.cards/examples/issuer/.well-known/jwks.json (smart-on-fhir/health-cards gh-pages 8b8c2156)"
SHC_ISS = "https://spec.smarthealth.cards/examples/issuer"
#: ANTS CA ids whose certificates ship as 2D-Doc anchors (FR02 is not published; FR00 is the test CA).
ANTS_CAS = ("FR01", "FR03", "FR04", "FR05", "FR06", "FR07")


def b64(der: bytes) -> str:
    return base64.b64encode(der).decode("ascii")


def certificate(der: bytes) -> Any:
    """Read leniently, as scanverify does (brainpoolP224r1, explicit EC parameters)."""
    from scanverify.x509 import load_certificate

    return load_certificate(der)


def entry(der: bytes, *, role: str, formats: Iterable[str], specimen: bool, origin: str, **extra: Any) -> dict[str, Any]:
    cert = certificate(der)
    name = extra.pop("name", None) or f"{cert.display_name}, serial {cert.serial:X}"
    return {
        "name": name,
        "role": role,
        "formats": sorted(formats),
        "specimen": specimen,
        "origin": origin,
        **extra,
        "x5c": [b64(der)],
    }


# ---------------------------------------------------------------- the sources
def vds_signers(conformance: Path) -> list[dict[str, Any]]:
    """The VDS test signer certificates: pinned (their CAs are not published), specimen."""
    tsenger = conformance / "icao-vds" / "tsenger-vdstools"
    kurz = conformance / "icao-vds" / "kurzdigital-vds-jvm" / "src" / "test" / "resources"
    files = [
        (tsenger / "src" / "commonTest" / "resources" / "sealgen_UTTS5B.crt", TSENGER),
        (tsenger / "src" / "commonTest" / "resources" / "sealgen_DETS32.crt", TSENGER),
        (tsenger / "extracted" / "sealgen_DETS27.der", TSENGER + ", from its test keystore"),
        *((path, KURZ) for path in sorted(kurz.glob("*.crt")) if path.name != "sealgen_UTTS5B.crt"),
    ]
    entries, seen = [], set()
    for path, origin in files:
        der = path.read_bytes()
        if der in seen:
            continue
        seen.add(der)
        cert = certificate(der)
        name = f"VDS test signer {path.stem} ({cert.display_name if cert.common_name else cert.country})"
        entries.append(entry(der, role="signer", formats=["VDS"], specimen=True, origin=origin, name=name))
    return entries


def vdsnc_trust(conformance: Path) -> list[dict[str, Any]]:
    apo = conformance / "icao-vds-nc" / "australian-passport-office" / "extracted"
    kurz = conformance / "icao-vds-nc" / "kurzdigital-vds-jvm" / "src" / "test" / "resources"
    entries = [
        entry(
            (apo / "AU_CSCA_Passport_Country_Signing_Authority_serial16F2.der").read_bytes(),
            role="anchor",
            formats=["VDS", "VDS-NC"],
            specimen=False,
            origin=APO + "; also in the German CSCA master list",
            name="Australia CSCA (Passport Country Signing Authority, DFAT)",
        ),
        entry(
            (apo / "JP_CSCA_e-passportCSCA_serialE3_explicitEC.der").read_bytes(),
            role="anchor",
            formats=["VDS", "VDS-NC"],
            specimen=False,
            origin=APO + " (explicit EC parameters)",
            name="Japan CSCA (e-passport CSCA)",
        ),
    ]
    # The ICAO examples' barcode signers (UT, "Utopia"), carried in the seals themselves:
    # pinned as specimen signers, since "UT CA" is in no master list.
    seen: set[bytes] = set()
    for path in sorted(kurz.glob("vdsnc_sample_proof_of_*")):
        seal = json.loads(path.read_text(encoding="utf-8"))
        der = base64.urlsafe_b64decode(seal["sig"]["cer"] + "=" * (-len(seal["sig"]["cer"]) % 4))
        cert = certificate(der)
        if der in seen or cert.country != "UT":
            continue  # the Australian sample chains to the AU CSCA instead
        seen.add(der)
        entries.append(
            entry(
                der,
                role="signer",
                formats=["VDS-NC"],
                specimen=True,
                origin=KURZ + f", the barcode signer in {path.name} (ICAO VDS-NC example)",
                name=f"ICAO VDS-NC example signer {cert.display_name}",
                iss="UT",
            )
        )
    return entries


def ants_cas(chains: Path) -> dict[str, bytes]:
    """The ANTS CA certificates, each checked against the signed ANTS trust-service list."""
    from scanverify.trust import TrustStore

    # The list's XAdES signature is checked against the pinned ANTS key (ddoc_tsl.py):
    # a certificate file that differs from what the signed list says is refused.
    listed = {k.iss: k.certificates[0] for k in TrustStore.from_file(chains / "tsl_signed.xml").keys}
    found = {}
    for ca in ANTS_CAS:
        der = (chains / f"{ca}.der").read_bytes()
        if listed.get(ca) != der:
            raise SystemExit(f"{ca}.der is not the {ca} certificate of the signed ANTS trust-service list")
        found[ca] = der
    return found


def ddoc_trust(conformance: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(entries for the default bundle, the leaf certificates for the deferred file)."""
    chains = conformance / "fr-2d-doc" / "nipo-tdd" / "tdd" / "chains"
    cas = ants_cas(chains)
    eager = [
        entry(
            (chains / "FR00.der").read_bytes(),
            role="signer",
            formats=["2D-DOC"],
            specimen=True,
            origin=NIPO + ' (the ANTS specification\'s test certificate, "AC DE TEST")',
            name="ANTS 2D-Doc test certificate FR00/0001",
        )
    ]
    for ca, der in cas.items():
        cert = certificate(der)
        eager.append(
            entry(
                der,
                role="anchor",
                formats=["2D-DOC"],
                specimen=False,
                origin=NIPO + "; listed in the ANTS 2D-Doc trust-service list (sequence 22, signature checked)",
                name=f"ANTS 2D-Doc certification authority {ca}" + (f" ({org})" if (org := _organisation(cert)) else ""),
            )
        )
    leaves = []
    for path in sorted(chains.glob("FR*_*.der")):
        ca, _, cert_id = path.stem.partition("_")
        if ca not in cas:
            continue
        der = path.read_bytes()
        cert = certificate(der)
        if cert.common_name != cert_id:
            raise SystemExit(f"{path.name}: its CN is {cert.common_name!r}, not {cert_id!r}")
        leaves.append(
            entry(
                der,
                role="certificate",
                formats=["2D-DOC"],
                specimen=False,
                origin=NIPO,
                name=f"2D-Doc signer {ca}/{cert_id}" + (f" ({organisation})" if (organisation := _organisation(cert)) else ""),
            )
        )
    return eager, leaves


def _organisation(cert: Any) -> str | None:
    """The O= of a certificate's subject, as scanverify.x509 writes it in its subject text."""
    match = re.search(r"Organization: ([^,]+)", cert.subject_text)
    return match.group(1).strip() if match else None


def shc_signers(conformance: Path) -> list[dict[str, Any]]:
    """The spec examples' issuer keys: specimen signers for SHC, bound to their iss."""
    from cryptography.hazmat.primitives import serialization
    from jwcrypto import jwk

    path = conformance / "smart-health-cards" / "health-cards-gh-pages" / "examples" / "issuer" / ".well-known" / "jwks.json"
    entries = []
    for key in json.loads(path.read_text(encoding="utf-8"))["keys"]:
        public = {k: v for k, v in key.items() if k in ("kty", "crv", "x", "y")}
        pem = jwk.JWK(**public).export_to_pem()
        spki = serialization.load_pem_public_key(pem).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        entries.append(
            {
                "name": f"SMART Health Cards spec example issuer (kid {key['kid'][:12]}…)",
                "role": "signer",
                "formats": ["SHC"],
                "specimen": True,
                "origin": SHC_SPEC,
                "iss": SHC_ISS,
                "alg": "ES256",
                "spki": b64(spki),
            }
        )
    return entries


# ---------------------------------------------------------------- writing
def owned(entry: dict[str, Any]) -> bool:
    return bool(set(entry.get("formats") or ()) & OWNED_FORMATS)


def updated(old: dict[str, Any] | None, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """``old`` with its owned entries replaced by ``entries``; version bumped on a change."""
    old = old or {"format": "scanverify.trust.v1", "version": 0, "keys": [], "revoked_seals": []}
    bundle = {**old, "keys": [e for e in old.get("keys", []) if not owned(e)] + entries}
    if bundle["keys"] != old.get("keys"):
        bundle["version"] = int(old.get("version", 0)) + 1
    return bundle


def dump(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared data (../shared)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file would change")
    args = parser.parse_args(argv)
    conformance = args.shared / "conformance"
    if not conformance.is_dir():
        raise SystemExit(f"{conformance} is missing")

    ddoc_signers, ddoc_leaves = ddoc_trust(conformance)
    certificates = vds_signers(conformance) + vdsnc_trust(conformance) + ddoc_signers + ddoc_leaves
    outputs = {
        BUNDLE: shc_signers(conformance),
        CERTIFICATES: certificates,
    }
    from scanverify.trust import TrustStore

    changed = []
    for path, entries in outputs.items():
        old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        bundle = updated(old, entries)
        # It must load as scanverify reads it, every entry, before it is written.
        store = TrustStore.from_bundle(bundle, str(path.name))
        print(f"{path.name}: {len(store)} entries, version {bundle['version']}")
        if bundle != old:
            changed.append(path)
            if not args.check:
                path.write_text(dump(bundle), encoding="utf-8")
                print(f"wrote {path.relative_to(ROOT)}")
    if args.check and changed:
        print("would change: " + ", ".join(str(p.relative_to(ROOT)) for p in changed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

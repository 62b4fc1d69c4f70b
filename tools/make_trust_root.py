#!/usr/bin/env python3
"""Make the trust-list authority's root key and pin its public half in the package.

    python3 dev.py python tools/make_trust_root.py [--key-dir DIR]

The private key goes to DIR (default ~/.scanverify-authority), mode 0600, and
never into the repository; the public root goes to
src/scanverify/data/trust_root.json. Run it only to start a new root chain:
to rotate, sign a new root with the current key (`scanverify trust sign --type
root`) and ship it with `scanverify trust update`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from scanverify.algorithms import kid_of  # noqa: E402
from scanverify.issuer import generate_key, write_key_files  # noqa: E402
from scanverify.trustlist import root_document  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--key-dir", type=Path, default=Path.home() / ".scanverify-authority")
    parser.add_argument("--version", type=int, default=1)
    args = parser.parse_args()
    args.key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = generate_key("EdDSA")
    paths = write_key_files(key, args.key_dir / f"trust-root-v{args.version}", name="scanverify trust root")
    target = ROOT / "src" / "scanverify" / "data" / "trust_root.json"
    target.write_bytes(root_document([key.public_key()], args.version))
    print(f"root kid {kid_of(key.public_key()).hex()} pinned in {target.relative_to(ROOT)}")  # type: ignore[arg-type]
    print(f"private root key: {paths[0]} (keep it offline; it signs every trust list)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

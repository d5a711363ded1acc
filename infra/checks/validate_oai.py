#!/usr/bin/env python3
"""Validate OAI-PMH responses offline against the official schemas.

Usage: validate_oai.py PATH...   (a PATH may be a file or a folder of *.xml files)

Every document is parsed with network access off and validated against
infra/xsd/pokeco-oai.xsd, a wrapper that imports OAI-PMH.xsd together with the schemas of every
payload namespace we emit (oai_dc, LOM loose, oai-identifier). OAI-PMH.xsd checks <metadata> and
<description> with processContents="strict", so without the wrapper any payload would fail.

xsi:schemaLocation hints in the documents are not followed: libxml2 keeps the schema already
loaded for a namespace. A hint is still checked, because other harvesters do follow it: it must
hold namespace/URL pairs, and name only namespaces we have a schema for (a hint to a namespace
without a schema would make a strict validator elsewhere fetch something that does not exist).

Exit status: 0 when every document is valid, 1 when any is not, 2 on a usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lxml import etree

XSD_DIR = Path(__file__).resolve().parent.parent / "xsd"
WRAPPER = XSD_DIR / "pokeco-oai.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
# The namespaces the wrapper loads from local copies; a schemaLocation hint may name only these.
KNOWN_NAMESPACES = {
    "http://www.openarchives.org/OAI/2.0/",
    "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "http://ltsc.ieee.org/xsd/LOM",
    "http://www.openarchives.org/OAI/2.0/oai-identifier",
}


def offline_parser() -> etree.XMLParser:
    # no_network: nothing may be fetched; resolve_entities=False: no external entities either.
    return etree.XMLParser(no_network=True, resolve_entities=False, huge_tree=False)


def load_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(WRAPPER), offline_parser()))


def hint_problems(doc: etree._ElementTree) -> list[str]:
    problems = []
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        hint = element.get(f"{{{XSI}}}schemaLocation")
        if hint is None:
            continue
        parts = hint.split()
        where = f"line {element.sourceline}: xsi:schemaLocation"
        if not parts or len(parts) % 2:
            problems.append(f"{where} must hold namespace/URL pairs, got {hint!r}")
            continue
        for namespace, url in zip(parts[0::2], parts[1::2]):
            if namespace not in KNOWN_NAMESPACES:
                problems.append(f"{where} names {namespace!r}, which has no schema")
            if not url.startswith(("http://", "https://")):
                problems.append(f"{where} gives {url!r} for {namespace!r}, not an absolute URL")
    return problems


def validate(schema: etree.XMLSchema, path: Path) -> list[str]:
    try:
        doc = etree.parse(str(path), offline_parser())
    except etree.XMLSyntaxError as err:
        return [f"not well-formed XML: {err}"]
    problems = []
    if not schema.validate(doc):
        problems += [f"line {e.line}: {e.message}" for e in schema.error_log]
    problems += hint_problems(doc)
    return problems


def expand(args: list[str]) -> list[Path]:
    files: list[Path] = []
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            files += sorted(path.glob("*.xml"))
        else:
            files.append(path)
    return files


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    files = expand(argv)
    if not files:
        print("validate_oai: no XML files found in " + " ".join(argv), file=sys.stderr)
        return 2
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print("validate_oai: no such file: " + ", ".join(missing), file=sys.stderr)
        return 2
    schema = load_schema()
    failed = 0
    for path in files:
        problems = validate(schema, path)
        if problems:
            failed += 1
            print(f"INVALID {path}", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
    print(f"validate_oai: {len(files) - failed} valid, {failed} invalid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

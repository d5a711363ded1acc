#!/usr/bin/env python3
"""Harvest an OAI-PMH endpoint in full with Sickle, a real third-party harvester.

Usage: harvest_sickle.py BASE_URL PREFIX [--min-pages N] [--expect-count N] [--set SPEC]
                         [--post] [--max-pages N]

Runs ListRecords and then ListIdentifiers, each following every resumption token the way the
protocol says (the token alone, no other argument). Fails (exit 1) on any OAI error, HTTP error,
repeated identifier, repeated token, a non-deleted record without a payload of PREFIX's
namespace, ListIdentifiers disagreeing with ListRecords, fewer pages than --min-pages, or a count
other than --expect-count (records, deleted ones included). noRecordsMatch counts as zero records.
"""

from __future__ import annotations

import argparse
import sys

from sickle import Sickle, oaiexceptions

OAI_NS = "{http://www.openarchives.org/OAI/2.0/}"
PAYLOAD_NS = {
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "oai_lom": "http://ltsc.ieee.org/xsd/LOM",
}
TIMEOUT_SECONDS = 30
# Sickle raises one exception class per OAI error code, none derived from a common base.
OAI_ERRORS = tuple(
    cls
    for cls in vars(oaiexceptions).values()
    if isinstance(cls, type) and issubclass(cls, Exception) and cls is not oaiexceptions.NoRecordsMatch
)


class HarvestError(Exception):
    pass


class CountingSickle(Sickle):
    """Sickle that counts the pages it fetches and refuses to page forever."""

    def __init__(self, endpoint: str, http_method: str, max_pages: int) -> None:
        super().__init__(endpoint, http_method=http_method, timeout=TIMEOUT_SECONDS)
        self.pages = 0
        self.max_pages = max_pages
        self.tokens_seen: set[str] = set()

    def harvest(self, **kwargs):
        token = kwargs.get("resumptionToken")
        if token is not None:
            if token in self.tokens_seen:
                raise HarvestError(f"resumption token {token!r} came back twice: endless list")
            self.tokens_seen.add(token)
        self.pages += 1
        if self.pages > self.max_pages:
            raise HarvestError(f"more than {self.max_pages} pages: giving up")
        return super().harvest(**kwargs)


def list_all(base_url: str, verb: str, args: dict, http_method: str, max_pages: int):
    """Returns (items, pages) for a complete list, following every token."""
    sickle = CountingSickle(base_url, http_method, max_pages)
    try:
        items = list(getattr(sickle, verb)(**args))
    except oaiexceptions.NoRecordsMatch:
        items = []
    except OAI_ERRORS as err:
        raise HarvestError(
            f"{verb}: OAI error {type(err).__name__} on page {sickle.pages}: {err}"
        ) from err
    return items, sickle.pages


def unique_identifiers(verb: str, identifiers: list[str]) -> set[str]:
    seen: set[str] = set()
    for identifier in identifiers:
        if not identifier:
            raise HarvestError(f"{verb}: a header without identifier")
        if identifier in seen:
            raise HarvestError(f"{verb}: identifier {identifier} seen twice")
        seen.add(identifier)
    return seen


def check_payloads(prefix: str, records) -> None:
    namespace = PAYLOAD_NS.get(prefix)
    for record in records:
        if record.header.deleted:
            continue
        metadata = record.xml.find(f"{OAI_NS}metadata")
        if metadata is None or len(metadata) == 0:
            raise HarvestError(f"record {record.header.identifier} has no metadata")
        payload = metadata[0]
        if namespace is not None and not payload.tag.startswith(f"{{{namespace}}}"):
            raise HarvestError(
                f"record {record.header.identifier}: payload {payload.tag} is not in {namespace}"
            )


def harvest(opts: argparse.Namespace) -> str:
    args = {"metadataPrefix": opts.prefix}
    if opts.set:
        args["set"] = opts.set
    method = "POST" if opts.post else "GET"

    records, record_pages = list_all(opts.base_url, "ListRecords", args, method, opts.max_pages)
    record_ids = unique_identifiers("ListRecords", [r.header.identifier for r in records])
    check_payloads(opts.prefix, records)

    headers, header_pages = list_all(
        opts.base_url, "ListIdentifiers", args, method, opts.max_pages
    )
    header_ids = unique_identifiers("ListIdentifiers", [h.identifier for h in headers])
    if header_ids != record_ids:
        only_records = sorted(record_ids - header_ids)[:5]
        only_headers = sorted(header_ids - record_ids)[:5]
        raise HarvestError(
            "ListIdentifiers and ListRecords disagree: "
            f"only in ListRecords {only_records}, only in ListIdentifiers {only_headers}"
        )

    if opts.min_pages is not None and record_pages < opts.min_pages:
        raise HarvestError(f"ListRecords took {record_pages} pages, expected at least {opts.min_pages}")
    if opts.expect_count is not None and len(records) != opts.expect_count:
        raise HarvestError(f"harvested {len(records)} records, expected {opts.expect_count}")

    deleted = sum(1 for r in records if r.header.deleted)
    return (
        f"{opts.prefix} via {method}: ListRecords {len(records)} records ({deleted} deleted) "
        f"in {record_pages} pages; ListIdentifiers {len(headers)} headers in {header_pages} pages"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("base_url", help="the OAI-PMH endpoint, e.g. http://127.0.0.1:3000/oai")
    parser.add_argument("prefix", help="metadataPrefix, e.g. oai_lom")
    parser.add_argument("--min-pages", type=int, help="fail if ListRecords took fewer pages")
    parser.add_argument("--expect-count", type=int, help="fail unless exactly N records")
    parser.add_argument("--set", help="harvest only this set")
    parser.add_argument("--post", action="store_true", help="send form-encoded POST requests")
    parser.add_argument("--max-pages", type=int, default=10_000, help="stop an endless list")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    opts = parse_args(argv)
    try:
        print(harvest(opts))
    except HarvestError as err:
        print(f"harvest_sickle: FAILED: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # HTTP and connection errors: report them plainly, not as a trace
        print(f"harvest_sickle: FAILED: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

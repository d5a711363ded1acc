#!/usr/bin/env node
// Harvests an OAI-PMH endpoint exactly the way the ECO portal's harvester does, and checks
// every record against what that harvester needs (spec: eco-portal-contract.md, sections 1-2.8).
//
// Usage: node eco_harvest.mjs BASE_URL [--min-pages N] [--expect-count N] [--max-pages N]
//
// What is reproduced from ECO: the request URLs (string concatenation, metadataPrefix repeated
// beside a token pasted raw), the headers (only `accept: */*`), xmldom 0.1.27's DOMParser, ECO's
// whitespace-only text node removal, the token lookup by qualified name, and every field lookup
// (namespace + local name, first match anywhere, first attribute of lom:string = language).
// Where ECO would hang, crash, drop a page or refuse a course, this script FAILS instead, with
// the reason. Exit 0: every page and record passed; 1: a check failed; 2: usage error.

import { createRequire } from "node:module";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeDir = process.env.POKECO_TEST_NODE || path.join(here, "..", "node");
const require = createRequire(path.join(nodeDir, "package.json"));
const { DOMParser } = require("xmldom");

const OAI = "http://www.openarchives.org/OAI/2.0/";
const LOM = "http://ltsc.ieee.org/xsd/LOM";
const ECO = "http://www.ecolearning.eu/xsd/LOM";
const TEXT_NODE = 3;
const ELEMENT_NODE = 1;
const INTEREST_AREAS = ["ECO:ES", "ECO:SS", "ECO:HUM", "ECO:NSM", "ECO:BS", "ECO:TS"];
// ECO aborts a request after 5 s of socket inactivity.
const ECO_TIMEOUT_MS = 5000;

class CheckFailed extends Error {}

function fail(message) {
  throw new CheckFailed(message);
}

// --- transport -----------------------------------------------------------------------------

function get(url) {
  const client = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    // ECO sends only `accept: */*` (no Accept-Encoding, no User-Agent, no Authorization).
    const req = client.get(url, { headers: { accept: "*/*" } }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.setTimeout(ECO_TIMEOUT_MS, () => req.destroy(new Error(`no data for ${ECO_TIMEOUT_MS} ms: ECO gives up`)));
    req.on("error", reject);
  });
}

function checkTransport(url, res) {
  if (res.status >= 300 && res.status < 400) fail(`${url}: redirect ${res.status}; ECO does not follow redirects`);
  if (res.status !== 200) fail(`${url}: HTTP ${res.status}; ECO would parse the error body as a page`);
  if (res.headers["content-encoding"]) fail(`${url}: Content-Encoding ${res.headers["content-encoding"]}; ECO does not decompress`);
  if (res.body.length === 0) fail(`${url}: empty body; ECO logs "No data received" and skips the platform`);
}

// --- raw text rules --------------------------------------------------------------------------

function checkRawText(body) {
  const problems = [];
  const firstNonAscii = body.findIndex((byte) => byte > 0x7f);
  if (firstNonAscii !== -1) {
    problems.push(`byte ${firstNonAscii} is not ASCII (0x${body[firstNonAscii].toString(16)}); ECO decodes chunks separately and may corrupt it`);
  }
  const text = body.toString("latin1");
  // Nothing may stand between the XML declaration and the root element (no BOM either).
  if (!/^(<\?xml[^>]*\?>)?<OAI-PMH[\s>]/.test(text)) {
    problems.push(`the document must start with "<?xml ...?><OAI-PMH" with nothing in between; it starts ${JSON.stringify(text.slice(0, 60))}`);
  }
  return problems;
}

// --- parsing the way ECO does ---------------------------------------------------------------

function parse(text) {
  const errors = [];
  const parser = new DOMParser({
    errorHandler: {
      warning: () => {},
      error: (msg) => errors.push(msg),
      fatalError: (msg) => errors.push(msg),
    },
  });
  const doc = parser.parseFromString(text, "application/xml");
  if (errors.length) fail(`xmldom reports: ${errors.join("; ")}`);
  return doc;
}

// ECO's walk: remove whitespace-only text nodes, stepping the index back after each removal.
// With xmldom >= 0.1.23 a removal directly under the Document does not shrink childNodes, so ECO
// spins forever on the same index. Detect that instead of hanging.
function removeWhitespace(node) {
  for (let i = 0; i < node.childNodes.length; i++) {
    const child = node.childNodes[i];
    if (child.nodeType === ELEMENT_NODE) {
      removeWhitespace(child);
    } else if (child.nodeType === TEXT_NODE && !/\S/.test(child.nodeValue)) {
      const before = node.childNodes.length;
      node.removeChild(child);
      if (node.childNodes.length >= before) {
        fail(`whitespace-only text under ${node.nodeName} could not be removed: ECO's harvester loops forever here (whitespace or BOM before the root element?)`);
      }
      i--;
    }
  }
}

// --- field lookups ---------------------------------------------------------------------------

const first = (context, ns, name) => context.getElementsByTagNameNS(ns, name)[0];

// ECO reads most single values only when the first child is a plain text node.
function plainText(element) {
  const child = element && element.childNodes[0];
  return child && child.nodeType === TEXT_NODE ? child.nodeValue : null;
}

// Where ECO reads `childNodes[0].nodeValue` unguarded (CDATA allowed), a missing child throws.
function firstChildValue(element, what, id) {
  const child = element.childNodes[0];
  if (!child) fail(`${id}: empty ${what}; ECO throws and abandons the rest of the platform`);
  return child.nodeValue;
}

function langStrings(metadata, name, id) {
  const container = first(metadata, LOM, name);
  const kept = [];
  if (!container) return kept;
  for (let i = 0; i < container.childNodes.length; i++) {
    const s = container.childNodes[i];
    if (s.nodeType !== ELEMENT_NODE || s.localName !== "string" || !s.childNodes[0]) continue;
    const attribute = s.attributes[0];
    if (!attribute) fail(`${id}: a lom:${name} string without attributes; ECO throws reading its language`);
    if (attribute.nodeName !== "language") {
      fail(`${id}: the first attribute of a lom:${name} string is ${attribute.nodeName}, not language; ECO would store ${JSON.stringify(attribute.nodeValue)} as the language`);
    }
    const language = attribute.nodeValue;
    if (language !== "" && language !== "null") kept.push({ language, text: s.childNodes[0].nodeValue });
  }
  return kept;
}

function organizers(metadata, id) {
  const lifeCycle = first(metadata, LOM, "lifeCycle");
  const found = [];
  if (!lifeCycle) return found;
  const contributes = lifeCycle.getElementsByTagNameNS(LOM, "contribute");
  for (let i = 0; i < contributes.length; i++) {
    const role = first(contributes[i], LOM, "role");
    const value = role && first(role, LOM, "value");
    if (!value || !value.childNodes[0] || value.childNodes[0].nodeValue !== "content provider") continue;
    const entity = first(contributes[i], LOM, "entity");
    const vcard = entity && entity.childNodes[0] && entity.childNodes[0].nodeValue;
    if (!vcard) continue;
    for (const line of vcard.split("\r\n")) {
      if (line.indexOf("ORG:") === 0 && line.length > 4) found.push(line.slice(4));
    }
  }
  return found;
}

function interestArea(metadata) {
  const classification = first(metadata, LOM, "classification");
  const purpose = classification && first(classification, LOM, "purpose");
  const value = purpose && first(purpose, LOM, "value");
  if (!value || !value.childNodes[0] || value.childNodes[0].nodeValue !== "discipline") return null;
  const taxonPath = first(classification, LOM, "taxonPath");
  const taxon = taxonPath && first(taxonPath, LOM, "taxon");
  const taxonId = taxon && first(taxon, LOM, "id");
  return taxonId && taxonId.childNodes[0] ? taxonId.childNodes[0].nodeValue : null;
}

function checkOptionalEcoFields(metadata, id) {
  // ECO's database refuses the whole course when these hold something that is not a date/number.
  for (const name of ["startDate", "endDate"]) {
    const text = plainText(first(metadata, ECO, name));
    if (text !== null && text !== "null" && text !== "" && Number.isNaN(new Date(text).getTime())) {
      fail(`${id}: eco:${name} ${JSON.stringify(text)} is not a date; ECO refuses the course`);
    }
  }
  const units = plainText(first(metadata, ECO, "nrOfUnits"));
  if (units !== null && units !== "null" && units !== "" && Number.isNaN(Number(units))) {
    fail(`${id}: eco:nrOfUnits ${JSON.stringify(units)} is not a number; ECO refuses the course`);
  }
  const image = first(metadata, ECO, "courseImage");
  const base64 = image && plainText(first(image, ECO, "courseImageBase64"));
  if (base64 && !plainText(first(image, ECO, "courseUrl"))) {
    const bytes = Buffer.from(base64, "base64");
    const isPng = bytes.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
    if (bytes.length >= 20 && !isPng && !isJpeg) fail(`${id}: eco:courseImageBase64 is neither PNG nor JPEG; ECO's harvester crashes on it`);
  }
}

// Checks one record; returns its identifier and whether it is deleted.
function checkRecord(record) {
  const header = first(record, OAI, "header");
  if (!header) fail("a record without header: ECO stops silently and leaves its lock file");
  const identifierElement = first(header, OAI, "identifier");
  if (!identifierElement) fail("a header without identifier: ECO stops silently and leaves its lock file");
  const id = firstChildValue(identifierElement, "header identifier", "a record");
  const setSpec = first(header, OAI, "setSpec");
  if (setSpec) firstChildValue(setSpec, "setSpec", id);
  const status = header.getAttributeNode("status");
  if (status && status.nodeValue === "deleted") return { id, deleted: true };

  const metadata = first(record, OAI, "metadata");
  if (!metadata) fail(`${id}: not deleted but has no metadata; ECO skips it`);

  const lomIdentifier = first(metadata, LOM, "identifier");
  if (!lomIdentifier) fail(`${id}: no lom:identifier; ECO's harvester crashes`);
  let catalog = null;
  let entry = null;
  for (let i = 0; i < lomIdentifier.childNodes.length; i++) {
    const child = lomIdentifier.childNodes[i];
    if (child.nodeType !== ELEMENT_NODE) continue;
    if (child.localName === "catalog") catalog = firstChildValue(child, "lom:catalog", id);
    if (child.localName === "entry") entry = firstChildValue(child, "lom:entry", id);
  }
  if (!catalog) fail(`${id}: lom:identifier has no catalog`);
  if (!entry) fail(`${id}: lom:identifier has no entry`);
  if (entry !== entry.trim()) fail(`${id}: lom:entry ${JSON.stringify(entry)} has surrounding whitespace`);

  const missing = [];
  if (langStrings(metadata, "title", id).length === 0) missing.push("title");
  if (langStrings(metadata, "description", id).length === 0) missing.push("description");
  const languages = Array.from(metadata.getElementsByTagNameNS(LOM, "language"))
    .map(plainText)
    .filter((l) => l !== null && l !== "" && l !== "null");
  if (languages.length === 0) missing.push("language");
  const location = plainText(first(metadata, LOM, "location"));
  if (location === null || location === "" || location === "null") missing.push("location (plain text)");
  if (organizers(metadata, id).length === 0) missing.push("organizer (an ORG: line in a content provider vCard, lines split on CR LF)");
  const area = interestArea(metadata);
  if (!area) missing.push("interest area");
  else if (!INTEREST_AREAS.includes(area)) fail(`${id}: interest area ${JSON.stringify(area)} is not one of ${INTEREST_AREAS.join(" ")}`);
  if (missing.length) fail(`${id}: ECO refuses the course, missing ${missing.join(", ")}`);

  checkOptionalEcoFields(metadata, id);
  return { id, deleted: false };
}

// Returns the raw next token, or null at the end of the list.
function resumptionToken(doc) {
  const byQualifiedName = doc.getElementsByTagName("resumptionToken")[0];
  const inOaiNamespace = doc.getElementsByTagNameNS(OAI, "resumptionToken")[0];
  if (!byQualifiedName) {
    if (inOaiNamespace) fail(`a prefixed ${inOaiNamespace.nodeName}: ECO looks for the name "resumptionToken" and stops paging`);
    return null;
  }
  // After whitespace removal a whitespace-only token is empty too; ECO throws on it and drops the page.
  const child = byQualifiedName.childNodes[0];
  if (!child || !/\S/.test(child.nodeValue)) fail("an empty or whitespace-only <resumptionToken>: ECO throws or sends a blank token, and drops the page");
  const token = child.nodeValue;
  if (!/^[A-Za-z0-9._~-]+$/.test(token)) fail(`token ${JSON.stringify(token)} is not URL-safe; ECO pastes it without encoding`);
  return token;
}

function oaiError(doc) {
  const error = first(doc, OAI, "error");
  if (!error) return null;
  return `${error.getAttribute("code")}: ${error.childNodes[0] ? error.childNodes[0].nodeValue : ""}`;
}

// --- the harvest -----------------------------------------------------------------------------

async function harvest(baseUrl, opts) {
  if (baseUrl.includes("?") || baseUrl.includes("#")) fail(`base URL ${baseUrl} holds ? or #; ECO appends "?verb=..." to it`);
  const seen = new Set();
  const tokens = new Set();
  let deleted = 0;
  let pages = 0;
  let commands = "verb=ListRecords&metadataPrefix=oai_lom";
  for (;;) {
    pages += 1;
    if (pages > opts.maxPages) fail(`more than ${opts.maxPages} pages: the list never ends`);
    // ECO builds its URLs by string concatenation.
    const url = `${baseUrl}?${commands}`;
    const res = await get(url);
    checkTransport(url, res);
    const problems = checkRawText(res.body);
    let doc;
    try {
      doc = parse(res.body.toString("utf8"));
      removeWhitespace(doc);
    } catch (err) {
      if (!(err instanceof CheckFailed)) throw err;
      problems.push(err.message);
    }
    if (problems.length) fail(`page ${pages} (${url}):\n  ${problems.join("\n  ")}`);
    const error = oaiError(doc);
    if (error) fail(`page ${pages} (${url}): OAI error ${error}`);
    const token = resumptionToken(doc);
    const records = doc.getElementsByTagNameNS(OAI, "record");
    for (let i = 0; i < records.length; i++) {
      const { id, deleted: isDeleted } = checkRecord(records[i]);
      if (seen.has(id)) fail(`identifier ${id} seen twice (page ${pages})`);
      seen.add(id);
      if (isDeleted) deleted += 1;
    }
    if (token === null) break;
    if (tokens.has(token)) fail(`token ${token} came back twice: the list never ends`);
    tokens.add(token);
    commands = `verb=ListRecords&metadataPrefix=oai_lom&resumptionToken=${token}`;
  }
  if (opts.minPages !== null && pages < opts.minPages) fail(`${pages} pages, expected at least ${opts.minPages}`);
  if (opts.expectCount !== null && seen.size !== opts.expectCount) fail(`${seen.size} records, expected ${opts.expectCount}`);
  return { records: seen.size, deleted, pages };
}

function parseArgs(argv) {
  const opts = { baseUrl: null, minPages: null, expectCount: null, maxPages: 10000 };
  const numeric = { "--min-pages": "minPages", "--expect-count": "expectCount", "--max-pages": "maxPages" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (numeric[arg]) {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 0) return null;
      opts[numeric[arg]] = value;
    } else if (!arg.startsWith("-") && opts.baseUrl === null) {
      opts.baseUrl = arg;
    } else {
      return null;
    }
  }
  return opts.baseUrl ? opts : null;
}

const opts = parseArgs(process.argv.slice(2));
if (!opts) {
  console.error("usage: eco_harvest.mjs BASE_URL [--min-pages N] [--expect-count N] [--max-pages N]");
  process.exit(2);
}
try {
  const { records, deleted, pages } = await harvest(opts.baseUrl, opts);
  console.log(`eco_harvest: ${records} records (${deleted} deleted) in ${pages} pages, all accepted by ECO's rules`);
} catch (err) {
  const reason = err instanceof CheckFailed ? err.message : `${err.name}: ${err.message}`;
  console.error(`eco_harvest: FAILED: ${reason}`);
  process.exit(1);
}

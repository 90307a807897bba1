#!/usr/bin/env bash
# npm audit of the production dependencies (`npm audit --omit=dev`), for CI and `npm test`.
#
# Fails when a high or critical advisory affects a production dependency, unless the advisory is in
# audit-allowlist.json with a reason AND explained in docs/security.md (section "Dependency audit").
# An allowlist entry past its "expires" date, or one that docs/security.md does not mention, fails too.
# Moderate and low findings are printed, not fatal.
#
# npm audit needs the registry's audit endpoint. When it cannot be reached (offline, a mirror without
# the endpoint), the audit is skipped with a warning and exit 0, unless AUDIT_STRICT=1 (use that in a CI
# job that must enforce it). AUDIT_JSON=<file> audits a saved `npm audit --json` report instead.
set -uo pipefail
cd "$(dirname "$0")/.."

report=$(mktemp)
trap 'rm -f "$report"' EXIT

if [ -n "${AUDIT_JSON:-}" ]; then
  cp "$AUDIT_JSON" "$report"
else
  limit=()
  if command -v timeout >/dev/null 2>&1; then limit=(timeout 180); fi
  # Exit status is ignored on purpose: npm audit exits non-zero for any finding; the report decides.
  "${limit[@]}" npm audit --omit=dev --json --fetch-timeout=30000 --fetch-retries=1 >"$report" 2>/dev/null
fi

node - "$report" audit-allowlist.json docs/security.md "${AUDIT_STRICT:-0}" <<'NODE'
const fs = require('node:fs');
const [reportFile, allowlistFile, securityDoc, strict] = process.argv.slice(2);
const FATAL = new Set(['high', 'critical']);
const warn = (m) => console.error(`audit: warning: ${m}`);
const fail = (m) => { console.error(`audit: error: ${m}`); process.exitCode = 1; };

let report;
try {
  report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
} catch {
  report = undefined;
}
if (!report || report.auditReportVersion !== 2 || typeof report.vulnerabilities !== 'object') {
  const why = (report && (report.message || (report.error && report.error.summary))) || 'no report (registry unreachable?)';
  if (strict === '1') {
    fail(`npm audit did not run: ${why}`);
  } else {
    warn(`npm audit did not run: ${why}. Skipped; run it where the registry is reachable (AUDIT_STRICT=1 makes this fatal).`);
  }
  process.exit();
}

let allowlist = [];
try {
  allowlist = JSON.parse(fs.readFileSync(allowlistFile, 'utf8')).advisories ?? [];
} catch (error) {
  fail(`${allowlistFile} is missing or not valid JSON (${error.message})`);
  process.exit();
}
const doc = fs.existsSync(securityDoc) ? fs.readFileSync(securityDoc, 'utf8') : '';
const today = new Date().toISOString().slice(0, 10);
for (const entry of allowlist) {
  if (!entry || typeof entry.id !== 'string' || typeof entry.reason !== 'string' || entry.reason.trim().length < 20) {
    fail(`every ${allowlistFile} entry needs an "id" and a "reason" of a sentence or more: ${JSON.stringify(entry)}`);
    continue;
  }
  if (!doc.includes(entry.id)) fail(`${entry.id} is allowlisted but not explained in ${securityDoc}`);
  if (typeof entry.expires === 'string' && entry.expires < today) fail(`the allowlist entry for ${entry.id} expired on ${entry.expires}: review it`);
}

// Advisories are the objects in `via`; strings there only point at another vulnerable package.
const advisories = new Map();
for (const vulnerability of Object.values(report.vulnerabilities)) {
  for (const via of vulnerability.via ?? []) {
    if (typeof via !== 'object' || via === null) continue;
    const ghsa = /GHSA-[\w-]+/.exec(via.url ?? '')?.[0];
    const key = ghsa ?? String(via.source);
    const known = advisories.get(key) ?? { ...via, ghsa, packages: new Set() };
    known.packages.add(vulnerability.name);
    advisories.set(key, known);
  }
}
const allowed = (a) => allowlist.some((e) => e && (e.id === a.ghsa || e.id === String(a.source)));
const used = new Set();
let fatal = 0;
for (const a of advisories.values()) {
  const id = a.ghsa ?? `npm:${a.source}`;
  const line = `${a.severity} ${id} ${a.name} ${a.range ?? ''}: ${a.title} (via ${[...a.packages].join(', ')})`;
  if (FATAL.has(a.severity) && allowed(a)) {
    used.add(a.ghsa);
    used.add(String(a.source));
    console.log(`audit: allowed: ${line}`);
  } else if (FATAL.has(a.severity)) {
    fatal++;
    fail(`${line}. Upgrade, or allowlist it in ${allowlistFile} with a reason and explain it in ${securityDoc}`);
  } else {
    console.log(`audit: info: ${line}`);
  }
}
for (const entry of allowlist) {
  if (entry && typeof entry.id === 'string' && !used.has(entry.id)) warn(`${entry.id} is allowlisted but no longer reported: remove it`);
}
const counts = report.metadata?.vulnerabilities ?? {};
console.log(
  `audit: production dependencies: ${report.metadata?.dependencies?.prod ?? '?'}; findings: ` +
    ['critical', 'high', 'moderate', 'low', 'info'].map((s) => `${counts[s] ?? 0} ${s}`).join(', ') +
    `; unallowed high/critical: ${fatal}`,
);
NODE

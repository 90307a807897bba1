#!/usr/bin/env bash
# Synthesizes the app offline and lints the CloudFormation template with the pinned cfn-lint.
# Fails on any cfn-lint error; warnings are printed but do not fail (cfn-lint exit bit 4).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-emulator.sh || exit 1

out="cdk.out"
if ! npx cdk synth -q -o "$out" >"$out.synth.log" 2>&1; then
  cat "$out.synth.log" >&2
  echo "error: cdk synth failed (log above)" >&2
  exit 1
fi
rm -f "$out.synth.log"

.venv/bin/cfn-lint "$out"/*.template.json
rc=$?
if (( rc & 3 )); then
  echo "cfn-lint: errors found (exit $rc)" >&2
  exit 1
fi
echo "cfn-lint: 0 errors$( (( rc & 4 )) && echo ', warnings above are informational')"

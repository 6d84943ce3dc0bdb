#!/usr/bin/env bash
# Vendors the RFC 4475 ("SIP Torture Test Messages") archive into
# media-edge/tests/rfc4475/, or checks the committed copy (--check).
#
# The RFC publishes its 49 messages bit-exact as a base64 tarball in its
# appendix (retyping them from the RFC's text loses trailing spaces, control
# characters and binary bodies). The npm package `sip` 0.0.6 ships that
# archive's .dat files unchanged in test/messages/, so the npm registry is
# where we take them from. Only the 49 RFC files are kept. Needs: npm.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dest="$here/media-edge/tests/rfc4475"
names="wsinv intmeth esc01 escnull esc02 lwsdisp longreq dblreq semiuri
transports mpart01 unreason noreason badinv01 clerr ncl scalar02 scalarlg
quotbal ltgtruri lwsruri lwsstart trws escruri baddate regbadct badaspec baddn
badvers mismatch01 mismatch02 bigcode badbranch insuf unkscm novelsc unksm2
bext01 invut regaut01 multi01 mcl01 bcast zeromf cparam01 cparam02 regescrt
sdp01 inv2543"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent sip@0.0.6 >/dev/null && tar -xzf sip-0.0.6.tgz)
src="$work/package/test/messages"
if [ "${1:-}" = --check ]; then
  bad=0
  for n in $names; do
    cmp -s "$src/$n.dat" "$dest/$n.dat" || { echo "differs: $n.dat"; bad=1; }
  done
  [ "$bad" = 0 ] && echo "rfc4475: all 49 messages match the archive"
  exit "$bad"
fi
for n in $names; do cp "$src/$n.dat" "$dest/$n.dat"; done
(cd "$dest" && sha256sum $(for n in $names; do echo "$n.dat"; done) > SHA256SUMS)
echo "rfc4475: 49 messages written to $dest"

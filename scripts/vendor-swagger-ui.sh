#!/usr/bin/env bash
# Vendors the API viewer (/docs) from npm into shared/web/assets/swagger-ui:
# the bundle and its CSS, gzipped (the binaries carry ~0.5 MB instead of
# ~1.9 MB; browsers take them as they are), with the licence. Run it to
# move to another version; nothing is fetched at build or run time.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-5.35.0}"
out=shared/web/assets/swagger-ui
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "swagger-ui-dist@$version" >/dev/null && tar xzf swagger-ui-dist-*.tgz)
mkdir -p "$out"
for f in swagger-ui-bundle.js swagger-ui.css; do
  gzip -9n <"$work/package/$f" >"$out/$f.gz"
done
cp "$work/package/LICENSE" "$work/package/NOTICE" "$out/"
cp "$work/package/swagger-ui-bundle.js.LICENSE.txt" "$out/THIRD-PARTY-LICENSES.txt"
echo "swagger-ui-dist $version (npm), Apache-2.0" >"$out/VERSION"
ls -l "$out"

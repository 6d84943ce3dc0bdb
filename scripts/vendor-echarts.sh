#!/usr/bin/env bash
# Vendors the chart library of the 통계 page (Apache ECharts) from npm into
# shared/web/assets/echarts: the minified bundle, gzipped (the binaries
# carry ~0.35 MB; browsers take it as it is), with its licence. Run it to
# move to another version; nothing is fetched at build or run time.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-6.1.0}"
out=shared/web/assets/echarts
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "echarts@$version" >/dev/null && tar xzf echarts-*.tgz)
mkdir -p "$out"
gzip -9n <"$work/package/dist/echarts.min.js" >"$out/echarts.min.js.gz"
cp "$work/package/LICENSE" "$work/package/NOTICE" "$out/"
echo "echarts $version (npm), Apache-2.0" >"$out/VERSION"
ls -l "$out"

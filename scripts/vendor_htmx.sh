#!/usr/bin/env bash
# Refresh the studio's vendored htmx from the npm registry (npm pack), checking the tarball's
# integrity against the one recorded here. The file is committed: nothing is fetched at run time.
#   scripts/vendor_htmx.sh            -> src/basin/studio/static/vendor/htmx.min.js
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=2.0.11
INTEGRITY="sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA=="
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@$VERSION" >/dev/null)
tarball="$work/htmx.org-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$INTEGRITY" ]; then
  echo "htmx.org@$VERSION: integrity $actual does not match the recorded $INTEGRITY" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"
out=src/basin/studio/static/vendor
cp "$work/package/dist/htmx.min.js" "$out/htmx.min.js"
cp "$work/package/LICENSE" "$out/htmx.LICENSE"
echo "htmx.org@$VERSION -> $out/htmx.min.js"

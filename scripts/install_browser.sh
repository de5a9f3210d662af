#!/usr/bin/env bash
# Debian's chromium for the report's browser test (no browser download of its own).
set -u
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; the browser test will fail" >&2
else
  echo "warning: chromium not found and cannot be installed (needs root + apt-get)" >&2
fi
exit 0

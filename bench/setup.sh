#!/bin/sh
# `deno task bench:setup`: installs the benchmark's peer servers and client.
#
# - bun (npm package `bun`; its binary comes in the `@oven/bun-linux-*` npm
#   packages, nothing is downloaded from elsewhere): the Bun peer and the
#   efficient viewer client.
# - nginx + nchan (Debian `nginx-light`, `libnginx-mod-nchan`): the nchan peer.
#   The system nginx service is stopped and disabled: the bench runs its own.
# - ws (npm, pinned) under bench/peers/node_modules: the Node peer.
#
# Each step may fail on its own; the bench skips a missing peer with a note.
# Needs root (apt-get). Safe to run again.
set -u
BUN_VERSION=1.4.5
WS_VERSION=8.23.0
here=$(cd "$(dirname "$0")" && pwd)
status=0

echo "== bun $BUN_VERSION (npm)"
if command -v bun >/dev/null 2>&1 && [ "$(bun --version 2>/dev/null)" = "$BUN_VERSION" ]; then
  echo "bun $(bun --version) already installed"
elif npm install -g "bun@$BUN_VERSION" && bun --version >/dev/null 2>&1; then
  echo "bun $(bun --version) installed: $(command -v bun)"
else
  echo "Cannot install bun: npm install -g bun@$BUN_VERSION failed or its binary does not run" >&2
  status=1
fi

echo "== nginx + nchan (Debian)"
if [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] && command -v nginx >/dev/null 2>&1; then
  echo "nginx and nchan already installed"
else
  if ! apt-cache policy libnginx-mod-nchan 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get update -qq
  fi
  # policy-rc.d 101: do not start the system nginx on port 80 during install.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light libnginx-mod-nchan; then
    echo "installed $(nginx -v 2>&1)"
  else
    echo "Cannot install nginx-light libnginx-mod-nchan with apt-get" >&2
    status=1
  fi
  rm -f /usr/sbin/policy-rc.d
fi

echo "== ws $WS_VERSION (npm) for the Node peer"
if command -v node >/dev/null 2>&1; then
  if npm install --silent --no-save --no-package-lock --prefix "$here/peers" "ws@$WS_VERSION"; then
    echo "ws $WS_VERSION in $here/peers/node_modules (node $(node --version))"
  else
    echo "Cannot install ws@$WS_VERSION from npm" >&2
    status=1
  fi
else
  echo "node not found: the Node ws row will be skipped" >&2
fi
exit $status

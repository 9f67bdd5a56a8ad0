#!/bin/sh
# What `npm start` and `npm test` do first, on any machine of ours: Node 24, `npm ci` when node_modules is missing or
# older than package-lock.json, and (for `npm test`) the Debian packages the test harnesses drive. Then it runs the
# real command under Node 24. POSIX sh on purpose: npm runs this line before anything is installed, under whatever
# node the machine has, so it may depend on nothing but sh, npm and apt.
#
# usage: sh tools/bootstrap.sh start|test [args passed on to local/start.ts or ava]
set -eu
cd "$(dirname "$0")/.."
what=$1
shift

say() { printf 'bootstrap: %s\n' "$*"; }

# --- Node 24 (the machine's node may be older). npm's platform package `node-<os>-<arch>@24` carries the binary and
# has no install script. `node@24` is only a wrapper whose preinstall script fetches that package, and npm ≥ 11.x
# refuses install scripts outside its allowScripts policy: on such a machine the wrapper installs without a binary. ---
major() { "$1" --version 2>/dev/null | sed -n "s/^v\([0-9]*\)\..*/\1/p" | grep . || echo none; }
prefix="${CF_NODE_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/content-factory/node24}"
if [ "$(major node)" != 24 ]; then
  if [ "$(major "$prefix/bin/node")" != 24 ]; then
    say "node $(node --version 2>/dev/null || echo missing) is not Node 24; installing Node 24 into $prefix (once, about 30 s)"
    case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) os=unknown ;; esac
    case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=unknown ;; esac
    npm install --global --prefix "$prefix" --no-audit --no-fund --loglevel=error "node-$os-$arch@24"
    if [ "$(major "$prefix/bin/node")" != 24 ]; then
      say "installing Node 24 failed; install Node 24 yourself (https://nodejs.org) and run this again"
      exit 1
    fi
  fi
  PATH="$prefix/bin:$PATH"
  export PATH
  say "using Node $(node --version) from $prefix"
fi

# --- Dependencies: npm writes node_modules/.package-lock.json on every install. ---
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing dependencies (npm ci; a minute or two)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- Debian packages the test harnesses drive (npm start needs none of them). ---
if [ "$what" = test ]; then
  missing=""
  need() { # need <package> <command or file>...
    package=$1
    shift
    for probe in "$@"; do
      if command -v "$probe" >/dev/null 2>&1 || [ -e "$probe" ] || [ -x "/usr/sbin/$probe" ]; then return 0; fi
    done
    missing="$missing $package"
  }
  need podman podman
  need runc runc
  need debootstrap debootstrap
  need chromium chromium
  need openssl openssl
  need containernetworking-plugins /usr/lib/cni/bridge
  need iptables iptables
  need conntrack conntrack
  need ipset ipset
  need socat socat
  need busybox-static /bin/busybox
  need ethtool ethtool
  # Elasticsearch and OpenSearch for the logging suite: Java 17 with javac (the OpenSearch launcher is compiled),
  # Maven to fetch them from Maven Central, unzip to unpack Elasticsearch's distribution.
  need openjdk-17-jdk-headless javac
  need maven mvn
  need unzip unzip
  command -v kubectl >/dev/null 2>&1 || { say "kubectl is missing: install kubectl ≥ 1.31 (the machine image ships it)"; exit 1; }
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
      say "installing Debian packages:$missing"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$missing >/dev/null
    else
      say "the test harnesses need Debian packages that are missing. Run this once, then npm test again:"
      say "  sudo apt-get install -y$missing"
      exit 1
    fi
  fi
fi

# --- V8's compile cache for npm start and the services it spawns (they inherit the variable): a warm start reuses
# the compiled code of its ~2000 modules instead of compiling them again (a quarter to a third less CPU per service boot,
# bench/local-start.ts). Node keys entries by file content, so an edited file is simply compiled afresh. ---
if [ "$what" = start ] && [ -z "${NODE_COMPILE_CACHE:-}" ]; then
  NODE_COMPILE_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/content-factory/node-compile-cache"
  export NODE_COMPILE_CACHE
fi

case "$what" in
  start) exec node local/start.ts "$@" ;;
  test) exec npm run --silent test:suite -- "$@" ;;
  *)
    say "unknown command $what (start or test)"
    exit 2
    ;;
esac

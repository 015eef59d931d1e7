#!/usr/bin/env bash
# shellcheck disable=SC2016 # the single-quoted `node -e` programs are JavaScript: their $ is not the shell's
# The Node version matrix of CI: on each Node major other than the machine's own, the unit tests, one
# `bench run --dataset swe-lite` on the mock (every task resolved), one `bench report --html`, and
# the README's first command from a fresh clone: first-use `npm ci` + compile + run (about 1 min per
# version in all). Needs `npm ci` done (by the machine's Node) and a Docker engine.
#
#   bash scripts/ci-node-matrix.sh [MAJOR...]       default: $BENCH_NODE_MAJORS, else "24 22 26"
#
#   BENCH_NODE_FRESH="24"  only these majors run the fresh-clone first-use check (default all; "" none)
#   BENCH_NODE_FULL="24"   these majors run the whole suite (unit + Docker integration, ~8 min each)
#                          instead of the unit tests ("all" or 1 for every major; default none)
#   BENCH_NODE_CACHE=DIR   where the Node binaries go (default /tmp/bench-ci-node; reused if present)
#
# The binaries are the npm registry's `node-<platform>-<arch>` packages (what `npx node@24` installs
# underneath, without its install script), which hold bin/node and include/node. That bin/ goes first
# on PATH, so `node`, npm, vitest's forked workers and bin/bench.js all run on it, and
# npm_config_nodedir points node-gyp at the same version's headers (a fresh clone's `npm ci` builds
# ssh2's optional crypto addon; this machine's npmrc would otherwise use Node 20's headers in /usr).
# The checkout's node_modules is shared: every dependency is pure JS except ssh2's optional addons
# (sshcrypto, cpu-features), built for the machine's Node; on another ABI they do not load and ssh2
# uses its pure-JS crypto, which the line "native" reports.
#
# Prints one line per version, "ci: node vX.Y.Z: unit N passed, N failed; ...", then one matrix line;
# exits 1 when any step failed on any version, 2 when a Node binary could not be had.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD

read -r -a majors <<<"${*:-${BENCH_NODE_MAJORS:-24 22 26}}"
fresh="${BENCH_NODE_FRESH-all}"
full="${BENCH_NODE_FULL:-}"
cache="${BENCH_NODE_CACHE:-/tmp/bench-ci-node}"
work=$(mktemp -d /tmp/bench-ci-matrix.XXXXXX)
# The machine's node/npm, used only to install the other versions.
host_path=$PATH

say() { echo "ci: $*"; }
# Seconds since the epoch, for step times.
now() { date +%s; }
# The last lines of a failed step's log, indented and without colours, so CI output shows why.
plain() { sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^/    | /'; }
show_tail() { [ -f "$1" ] && tail -n "${2:-40}" "$1" | plain; }

case "$(uname -s)" in Linux) plat=linux ;; Darwin) plat=darwin ;; *) plat=unknown ;; esac
case "$(uname -m)" in x86_64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=unknown ;; esac
pkg="node-$plat-$arch"

overall=0
summary=()
for major in "${majors[@]}"; do
  prefix="$cache/$major"
  home="$prefix/node_modules/$pkg"
  t0=$(now)
  # npm install is a no-op when the newest $major is already there; --prefix keeps it out of the checkout.
  if ! PATH=$host_path npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund \
      --loglevel=error "$pkg@$major" >"$work/install-$major.log" 2>&1; then
    say "node $major: could not install $pkg@$major from the npm registry"
    show_tail "$work/install-$major.log"
    summary+=("node $major: not installed")
    overall=2
    continue
  fi
  version=$("$home/bin/node" --version 2>/dev/null || true)
  case "$version" in
    "v$major".*) ;;
    *) say "node $major: $home/bin/node answers '$version'"; summary+=("node $major: bad binary"); overall=2; continue ;;
  esac
  say "node $version ($pkg, $(( $(now) - t0 )) s to install or check)"

  vdir="$work/$major"
  mkdir -p "$vdir"
  failed=0
  parts=()
  (
    export PATH="$home/bin:$host_path"
    export npm_config_nodedir="$home"
    [ "$(node --version)" = "$version" ] || { echo "node on PATH is $(command -v node)"; exit 1; }
    # Which of ssh2's optional addons this node_modules offers to this version.
    node -e '
      const { bindingAvailable } = require("ssh2/lib/protocol/crypto.js");
      console.log(bindingAvailable ? "native crypto addon loads" : "native crypto addon not for this ABI, pure-JS fallback");
    ' >"$vdir/native.txt" 2>&1
  ) || { say "node $version: cannot put it first on PATH"; failed=1; }
  parts+=("ssh2 $(head -n 1 "$vdir/native.txt" 2>/dev/null)")

  # 1. The unit tests (or with BENCH_NODE_FULL=1 the README's whole test command).
  t0=$(now)
  if [ "$full" = all ] || [ "$full" = 1 ] || [[ " $full " == *" $major "* ]]; then
    label="suite"
    PATH="$home/bin:$host_path" npm_config_nodedir="$home" timeout 40m \
      node node_modules/vitest/vitest.mjs run --reporter=dot --reporter=json --outputFile.json="$vdir/vitest.json" \
      >"$vdir/tests.log" 2>&1
    rc=$?
  else
    label="unit"
    PATH="$home/bin:$host_path" npm_config_nodedir="$home" timeout 10m \
      node node_modules/vitest/vitest.mjs run --project unit --reporter=dot --reporter=json --outputFile.json="$vdir/vitest.json" \
      >"$vdir/tests.log" 2>&1
    rc=$?
  fi
  counts=$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  ' "$vdir/vitest.json" 2>/dev/null || echo "no report")
  if [ "$rc" -ne 0 ] || [ "$counts" = "no report" ]; then
    failed=1
    say "node $version: $label tests exited $rc ($counts)"
    grep -E "FAIL|Error" "$vdir/tests.log" | head -n 30 | plain
    show_tail "$vdir/tests.log" 8
  fi
  parts+=("$label $counts ($(( $(now) - t0 )) s)")

  # 2. One end-to-end run of the shipped dataset on the mock model: exit 0 and every task resolved.
  t0=$(now)
  PATH="$home/bin:$host_path" npm_config_nodedir="$home" timeout 10m \
    node bin/bench.js run --dataset swe-lite --json --quiet --output-dir "$vdir/runs" --run-id "node$major" \
    >"$vdir/run.json" 2>"$vdir/run.log"
  rc=$?
  verdict=$(node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const tasks = s.cells.reduce((n, c) => n + Number(c.tasks), 0);
    const resolved = s.cells.reduce((n, c) => n + Number(c.resolved), 0);
    console.log(`${s.status === "completed" && tasks > 0 && resolved === tasks ? "ok" : "FAILED"} ${resolved}/${tasks} resolved`);
  ' "$vdir/run.json" 2>/dev/null || echo "FAILED no summary")
  if [ "$rc" -ne 0 ] || [ "${verdict%% *}" != ok ]; then
    failed=1
    verdict="FAILED (exit $rc, ${verdict#* })"
    say "node $version: bench run --dataset swe-lite: $verdict"
    show_tail "$vdir/run.log"
  fi
  parts+=("swe-lite e2e $verdict ($(( $(now) - t0 )) s)")

  # 3. The run's reports rebuilt, with report.html.
  t0=$(now)
  rundir="$vdir/runs/node$major"
  PATH="$home/bin:$host_path" npm_config_nodedir="$home" timeout 5m \
    node bin/bench.js report "$rundir" --html >"$vdir/report.log" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ] && [ -s "$rundir/report.html" ]; then
    parts+=("report --html ok ($(( $(now) - t0 )) s)")
  else
    failed=1
    parts+=("report --html FAILED (exit $rc)")
    say "node $version: bench report --html exited $rc, report.html $([ -s "$rundir/report.html" ] && echo present || echo missing)"
    show_tail "$vdir/report.log"
  fi

  # 4. The README's first command in a fresh clone: first-use npm ci (native addons built for this
  #    version) + compile + the run. A clone holds the committed state only.
  if [ "$fresh" = all ] || [[ " $fresh " == *" $major "* ]]; then
    t0=$(now)
    clone="$vdir/fresh"
    if git clone -q "$root" "$clone" >"$vdir/fresh.log" 2>&1; then
      (
        cd "$clone" || exit 1
        PATH="$home/bin:$host_path" npm_config_nodedir="$home" timeout 15m \
          node bin/bench.js run --dataset swe-lite --json --quiet --output-dir "$vdir/fresh-runs" --run-id fresh \
          >"$vdir/fresh.json" 2>>"$vdir/fresh.log"
      )
      rc=$?
    else
      rc=1
    fi
    verdict=$(node -e '
      const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const tasks = s.cells.reduce((n, c) => n + Number(c.tasks), 0);
      const resolved = s.cells.reduce((n, c) => n + Number(c.resolved), 0);
      console.log(`${s.status === "completed" && tasks > 0 && resolved === tasks ? "ok" : "FAILED"} ${resolved}/${tasks} resolved`);
    ' "$vdir/fresh.json" 2>/dev/null || echo "FAILED no summary")
    if [ "$rc" -ne 0 ] || [ "${verdict%% *}" != ok ] || [ ! -f "$clone/dist/cli/main.js" ]; then
      failed=1
      verdict="FAILED (exit $rc, ${verdict#* })"
      say "node $version: fresh clone, node bin/bench.js run --dataset swe-lite: $verdict"
      show_tail "$vdir/fresh.log"
    else
      native=$(cd "$clone" && PATH="$home/bin:$host_path" node -p \
        'require("ssh2/lib/protocol/crypto.js").bindingAvailable ? "addon built and loads" : "addon not built, pure-JS"' 2>/dev/null)
      verdict="$verdict, ssh2 $native"
    fi
    parts+=("fresh clone first use $verdict ($(( $(now) - t0 )) s)")
    # The clone's node_modules is 150 MB: keep only its logs.
    rm -rf "$clone"
  fi

  joined=$(IFS=';'; echo "${parts[*]}")
  line="node $version: ${joined//;/; }"
  say "$line"
  if [ "$failed" -ne 0 ]; then
    summary+=("$version FAILED")
    [ "$overall" -eq 0 ] && overall=1
  else
    summary+=("$version ok")
  fi
done

joined=$(IFS=,; echo "${summary[*]}")
say "node matrix: ${joined//,/, } (logs in $work)"
exit "$overall"

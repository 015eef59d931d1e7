#!/usr/bin/env bash
# Entrypoint of every workspace (docker.ts: `bash -c <this> bench-prepare`), as root with every capability dropped
# but CHOWN and FOWNER when a user is set:
# - BENCH_REPO=1: unpack the tar on stdin into the workdir (tar stops at the archive's end; stdin stays open) and
#   commit everything as the git base unless the archive brought its `.git` (the host built the commit: git-base.ts);
# - BENCH_OWNER set: the workdir belongs to that user, who runs every command from then on: tar gives it the owner of
#   every entry (BENCH_TAR_OWNER=1: a numeric `uid:gid` written into an archive that brings its base commit; tar
#   delays directories' owner and mode to the end, since root without DAC_OVERRIDE cannot write into the user's
#   folders), else `chown -R` after the commit;
# - print `__BENCH_PREPARED__<stage>:<exit code>`;
# - wait on stdin, the lifeline: the owner keeps the attach connection open for the workspace's life. When the owner
#   exits or is killed, Docker closes stdin, `cat` ends, the container stops and Docker removes it (AutoRemove): no
#   janitor needed, on this host or another. A non-root agent cannot signal this root process.
stage=copy rc=0 own=$BENCH_OWNER
if [ "$BENCH_REPO" = 1 ]; then
  if [ "$BENCH_TAR_OWNER" = 1 ]; then tar -x -f - --same-owner --delay-directory-restore; rc=$?; own=; else tar -x -f - --no-same-owner; rc=$?; fi
  if [ "$rc" -eq 0 ] && [ "$BENCH_TAR_OWNER" != 1 ] && [ ! -e .git ]; then stage=commit; own=$BENCH_OWNER; git init -q --template= && git add -A && git commit -q --no-verify -m base; rc=$?; fi
fi
if [ "$rc" -eq 0 ] && [ -n "$own" ]; then stage=owner; chown -R -- "$own" .; rc=$?; fi
printf '\n__BENCH_PREPARED__%s:%d\n' "$stage" "$rc"
exec cat >/dev/null

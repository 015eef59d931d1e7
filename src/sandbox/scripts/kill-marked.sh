#!/usr/bin/env bash
# The host-side deadline of a docker exec (exec.ts: `bash -c <this> bench-kill ID`): SIGKILL every process that
# carries BENCH_EXEC_ID=ID in its environment, even ones that left the command's process group.
for d in /proc/[0-9]*; do
  if grep -qsxzF "BENCH_EXEC_ID=$1" "$d/environ"; then kill -KILL "${d#/proc/}" 2>/dev/null; fi
done
true

#!/usr/bin/env bash
# The timeout kill of a persistent shell's command, run in a second exec (shell-process.ts:
# `bash -c <this> bench-shell-kill MODE SHELL_PID ID AFTER`). Targets: every process whose environment carries
# BENCH_EXEC_ID=ID (the command's programs, also those that left its process group or were reparented), plus the
# shell's descendants with no BENCH_EXEC_ID at all (subshells the shell forked without exec, e.g. a `while` loop in a
# pipeline, keep the shell's original environment). Background programs of earlier commands carry an older id and
# survive, as they would a Ctrl-C in a terminal. MODE `command`: TERM the targets, KILL what is left after AFTER
# seconds. MODE `shell`: the same, and the shell itself (TERM first, so its EXIT trap runs).
mode=$1 shell=$2 id=$3 after=$4
tag() { # the process's BENCH_EXEC_ID, "-" when it has none (builtins only: no fork per process)
  local e
  while IFS= read -r -d '' e; do [[ $e == BENCH_EXEC_ID=* ]] && { printf '%s' "${e#*=}"; return; }; done < "/proc/$1/environ"
  printf -- -
}
targets() {
  local d p s rest q c
  local -A kids=()
  local -a queue=()
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = "$$" ] && continue
    read -r s < "$d/stat" 2>/dev/null || continue
    # The fields after the command name, split on purpose: $2 is the parent pid.
    rest=${s##*) }
    # shellcheck disable=SC2086
    set -- $rest
    kids[$2]+=" $p"
    [ "$(tag "$p" 2>/dev/null)" = "$id" ] && echo "$p"
  done
  [ "$shell" -gt 1 ] 2>/dev/null && queue=("$shell")
  while ((${#queue[@]})); do
    q=${queue[0]}; queue=("${queue[@]:1}")
    for c in ${kids[$q]}; do
      queue+=("$c")
      [ "$(tag "$c" 2>/dev/null)" = - ] && echo "$c"
    done
  done
}
signal() { local p; for p in $(targets); do kill -"$1" "$p" 2>/dev/null; done; }
# Builtins only (no fork): works when a fork bomb has used up the pids limit. Returns 1 when nothing was found.
sweep() {
  local d p e found=1
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = "$$" ] && continue
    while IFS= read -r -d '' e; do
      if [[ $e == BENCH_EXEC_ID=$id ]]; then kill -"$1" "$p" 2>/dev/null; found=0; break; fi
    done < "$d/environ" 2>/dev/null
  done
  return $found
}
now() { echo "${EPOCHREALTIME/[.,]/}"; }
for ((i = 0; i < 50; i++)); do sweep TERM || break; done
signal TERM
[ "$mode" = shell ] && kill -TERM "$shell" 2>/dev/null
deadline=$(( $(now) + after * 1000000 ))
while (( $(now) < deadline )); do
  [ -z "$(targets)" ] && { [ "$mode" != shell ] || ! kill -0 "$shell" 2>/dev/null; } && exit 0
  sleep 0.1
done
signal KILL
# Processes forking as fast as they are killed (a fork bomb) need several passes; each pass is fork-free.
for ((i = 0; i < 200; i++)); do sweep KILL || break; done
[ "$mode" = shell ] && kill -KILL "$shell" 2>/dev/null
true

# shellcheck shell=bash
# The persistent shell's driver functions (shell.ts sends this once per shell, over its stdin, before the first
# command). Per-command lines are plain calls of these functions, never `{ … }` groups: after an `eval` that hit
# "unexpected EOF while looking for matching …", bash fails to parse a reserved word at the start of the next line (and
# a non-interactive shell exits on a syntax error); a simple command parses fine. Their redirections keep their own
# xtrace output out of the command's stderr. Builtins by name: a function a command defines (printf, read) cannot
# interfere. fd 98/99 are copies of the shell's original stdout/stderr (`exec >file` in a command cannot hide a marker).

# __bench_begin ID <<'DELIM' … DELIM: read the command text into __bench_cmd; its processes carry BENCH_EXEC_ID=ID.
# shellcheck disable=SC2034 # BENCH_EXEC_ID is read from /proc/<pid>/environ by shell-kill.sh and __bench_guard
__bench_begin() { __bench_id=$1; builtin export BENCH_EXEC_ID=$1; IFS= builtin read -r -d '' __bench_cmd || builtin :; __bench_guard; } 2>/dev/null
# __bench_end RC: the END marker, `\n__BENCH_END_<id>__<rc>__<$PWD>\0`, on stderr then stdout.
__bench_end() {
  __bench_guard
  builtin printf "\n__BENCH_END_%s__%d__%s\0" "$__bench_id" "$1" "$PWD" >&99
  builtin printf "\n__BENCH_END_%s__%d__%s\0" "$__bench_id" "$1" "$PWD" >&98
} 2>/dev/null
# __bench_exit RC ENV_FILE, the EXIT trap (`exit`, `set -e`, SIGTERM): save the exported environment, print the EXIT marker.
__bench_exit() {
  builtin export -p >| "$2"
  builtin printf "\n__BENCH_EXIT_%s__%d__%s\0" "$__bench_id" "$1" "$PWD" >&99
  builtin printf "\n__BENCH_EXIT_%s__%d__%s\0" "$__bench_id" "$1" "$PWD" >&98
} 2>/dev/null

# Runs before and after every command, in the shell itself and with builtins only (no fork: it must work when a fork
# bomb has used up the pids limit). When the workspace's processes reach 80% of its cgroup's pids limit (v2 or v1),
# every process any command started is SIGKILLed, pass after pass until none is left, and the command's stderr says
# so. Spared: the container's own processes (init's session) and session leaders (the shells and exec'd helpers),
# unless a leader carries BENCH_EXEC_ID (a command's `setsid`). Any shell's guard clears any shell's leftovers: a fork
# bomb's subshells carry no environment mark and are reparented to init, but stay out of init's session. A bomb that
# backgrounded itself is thus gone by the next command of either shell (the agent's next one, or the harness's patch
# extraction) instead of starving it of forks until the bomb dies out (it never does at 512 pids).
__bench_guard() {
  builtin local f cur='' max='' init d p s e k n=0 i found sig
  for f in /sys/fs/cgroup/pids.current /sys/fs/cgroup/pids/pids.current; do
    [[ -r $f ]] && { builtin read -r cur < "$f"; builtin read -r max < "${f%.current}.max"; builtin break; }
  done
  [[ $cur =~ ^[0-9]+$ && $max =~ ^[0-9]+$ ]] && (( cur * 10 >= max * 8 )) || builtin return 0
  # Fields of /proc/<pid>/stat after the command name, split on purpose: $1 state, $4 session, ${20} start time.
  builtin read -r s < /proc/1/stat; s=${s##*) }
  # shellcheck disable=SC2086
  builtin set -- $s; init=$4
  # Stop first, then kill: killing one by one frees a pid that another bomb process takes at once, but a stopped
  # process forks no more. Passes repeat until one finds nothing left to do (processes forked meanwhile).
  # Each process is signalled once per phase (keyed by pid and start time: a pid may be reused), so a pass that
  # meets only processes still on their way to stopping or dying ends the phase.
  builtin local -A seen
  for sig in STOP KILL; do
    seen=()
    for ((i = 0; i < 100; i++)); do
      found=0
      for d in /proc/[0-9]*; do
        p=${d#/proc/}
        [[ $p == "$$" ]] && builtin continue
        builtin read -r s < "$d/stat" || builtin continue
        s=${s##*) }
        # shellcheck disable=SC2086
        builtin set -- $s
        [[ $1 == [ZX] || $4 == "$init" ]] && builtin continue # dead already, or the container's own
        [[ $sig == STOP && $1 == T ]] && builtin continue # stopped already
        k=$p:${20}
        [[ -n ${seen[$k]} ]] && builtin continue
        if [[ $4 == "$p" ]]; then # a session leader: a shell, unless a command started it (setsid)
          while IFS= builtin read -r -d '' e; do [[ $e == BENCH_EXEC_ID=* ]] && { s=; builtin break; }; done < "$d/environ"
          [[ -z $s ]] || builtin continue
        fi
        builtin kill -"$sig" "$p" && { seen[$k]=1; found=1; [[ $sig == KILL ]] && n=$((n + 1)); }
      done
      ((found)) || builtin break
    done
  done
  ((n)) && builtin printf 'bench: the workspace reached its process limit (%s of %s): %d processes started by commands were killed\n' "$cur" "$max" "$n" >&99
  builtin return 0
} 2>/dev/null

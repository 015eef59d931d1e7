#!/usr/bin/env bash
# DockerSandbox.reset (reset.ts: `bash -c <this> bench-reset WORKDIR`), as the workspace user: SIGKILL every process
# of the user (`kill -1` spares the caller and root's processes; repeated for anything forking meanwhile), empty every
# place the user could write (POSIX message queues in /dev/mqueue included) and remove the user's System V IPC objects
# (they outlive processes), then unpack the repository from stdin and commit it, as prepare.sh does; print
# `__BENCH_RESET__<exit code>`, and on success exec a bash that reads the rest of stdin: the workspace's next command shell.
w=$1
for ((i = 0; i < 50; i++)); do kill -9 -1 2>/dev/null || break; done
places=()
for d in "$w" /tmp /var/tmp /run/lock /dev/shm /dev/mqueue "$HOME"; do [ -d "$d" ] && places+=("$d"); done
find "${places[@]}" -mindepth 1 -user "$UID" -type d ! -perm -u=rwx -exec chmod u+rwx {} \; 2>/dev/null
find "${places[@]}" -mindepth 1 -depth -user "$UID" -delete 2>/dev/null
ipcrm --all 2>/dev/null
shopt -s nullglob dotglob
left=("$w"/*)
rc=0
if [ "${#left[@]}" -gt 0 ]; then echo "cannot empty $w:"; printf '%s\n' "${left[@]}"; rc=3; fi
[ "$rc" -eq 0 ] && { cd "$w" && tar -x -f - --no-same-owner; rc=$?; }
[ "$rc" -eq 0 ] && [ ! -e .git ] && { git init -q --template= && git add -A && git commit -q --no-verify -m base; rc=$?; }
printf '\n__BENCH_RESET__%d\n' "$rc"
[ "$rc" -eq 0 ] && exec bash --noprofile --norc
exit "$rc"

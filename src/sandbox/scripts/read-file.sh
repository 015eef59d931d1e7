# shellcheck shell=bash
# Sandbox.readFile through the command shell (shell-io.ts runs `( set -- TARGET MAX_BYTES; <this> )`): `stat` then
# `base64` of the file, symlinks followed. Exit 3: a directory; 5: not a regular file (stderr says what); 4: larger
# than MAX_BYTES (the caller reads it through Docker's archive API); 2: stat failed (stderr says why).
export LC_ALL=C
t=$1
[ -d "$t" ] && exit 3
s=$(stat -L -c '%s %F' -- "$t" 2>&1) || { echo "$s" >&2; exit 2; }
[ "${s#* }" = "regular file" ] || [ "${s#* }" = "regular empty file" ] || { echo "${s#* }" >&2; exit 5; }
[ "${s%% *}" -le "$2" ] || exit 4
base64 -w0 -- "$t"

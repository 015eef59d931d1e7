# shellcheck shell=bash
# Sandbox.writeFile through the command shell (shell-io.ts runs `( set -- TARGET MODE; <this> ) <<'DELIM'` with the
# content base64 in the here-document), as fs.writeFile does it: symlinks followed (by the redirection), a folder
# refused (exit 3), missing parents created (0755; exit 20: a parent is not a directory), the mode kept unless MODE
# (octal) is given (the redirection keeps an existing file's; a new file gets 0644 under umask 022).
export LC_ALL=C
umask 022
r=$1
{ [ "$r" = / ] || [ -d "$r" ]; } && exit 3
d=${r%/*}
if [ -n "$d" ] && [ ! -d "$d" ]; then [ -e "$d" ] && exit 20; mkdir -p -- "$d" || exit 2; fi
base64 -d > "$r" || exit 2
[ -z "$2" ] || chmod "$2" -- "$r" || exit 2

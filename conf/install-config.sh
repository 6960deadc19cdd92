#!/bin/sh
# Installs the default passgate.conf unless a file is already there, so that reinstalling keeps an
# administrator's settings, as dpkg keeps a changed conffile.
#   install-config.sh BUILT_FILE TARGET_PATH      (meson adds $DESTDIR)
set -eu
src=$1
dest=${DESTDIR:-}$2
if [ -e "$dest" ]; then
	echo "Keeping $dest (the default is $src)"
	exit 0
fi
# The unit runs passgated as passgate, which must read the file: 0755 and 0644 whatever the umask.
install -d -m 0755 "$(dirname "$dest")"
install -m 0644 "$src" "$dest"
echo "Installing $src to $dest"

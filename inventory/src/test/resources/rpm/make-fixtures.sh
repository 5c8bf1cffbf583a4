#!/bin/sh
# Rebuilds the rpm fixtures beside this script on Debian 12 (see README.md). Needs root only for apt.
#   apt-get install -y rpm db5.3-util sqlite3 gnupg
# The tests compare the analyzer with the rpm-qa.txt files this writes, never with hand-copied values.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
qf='%{NAME}|%{EPOCH}|%{VERSION}|%{RELEASE}|%{ARCH}|%{SOURCERPM}|%{LICENSE}|%{VENDOR}\n'

# 1. Five tiny RPMs from four spec files (openssl-mini also builds openssl-mini-libs).
for spec in "$here"/specs/*.spec; do
  rpmbuild --define "_topdir $work" --define '_build_id_links none' -bb "$spec" >/dev/null
done

# 2. An SQLite rpmdb (Debian's rpm 4.18 default backend), plus a gpg-pubkey pseudo-package.
mkdir -p "$work/db-sqlite"
rpm --dbpath "$work/db-sqlite" --initdb
rpm --dbpath "$work/db-sqlite" -i --justdb --nodeps --noscripts --ignorearch $(find "$work/RPMS" -name '*.rpm')
export GNUPGHOME="$work/gnupg"; mkdir -m 700 "$GNUPGHOME"
gpg --batch --passphrase '' --quick-gen-key 'Portolan Fixture <fixture@portolan.invalid>' rsa2048 sign never
gpg --armor --export fixture@portolan.invalid > "$work/fixture.asc"
rpm --dbpath "$work/db-sqlite" --import "$work/fixture.asc"
cp "$work/db-sqlite/rpmdb.sqlite" "$here/sqlite/rpmdb.sqlite"
rpm --dbpath "$work/db-sqlite" -qa --qf "$qf" | LC_ALL=C sort > "$here/sqlite/rpm-qa.txt"

# 3. Berkeley DB hash Packages files from the same header blobs: key = 4-byte little-endian
#    instance number (hnum), value = the blob; key 0 holds rpm's next-instance counter.
#    Three page sizes: 4096 (one overflow page per header), 512 (overflow chains), 65536 (inline).
mkdir -p "$work/blobs"
for h in $(sqlite3 "$work/db-sqlite/rpmdb.sqlite" 'select hnum from Packages order by hnum'); do
  sqlite3 "$work/db-sqlite/rpmdb.sqlite" "select lower(hex(blob)) from Packages where hnum=$h" > "$work/blobs/$h.hex"
done
for variant in bdb:4096 bdb-512:512 bdb-64k:65536; do
  dir=${variant%%:*}; pagesize=${variant##*:}
  mkdir -p "$work/$dir"
  { echo VERSION=3; echo format=bytevalue; echo type=hash; echo "db_pagesize=$pagesize"; echo HEADER=END
    echo ' 00000000'; echo ' 06000000'
    for f in "$work"/blobs/*.hex; do printf ' %02x000000\n' "$(basename "$f" .hex)"; echo " $(cat "$f")"; done
    echo DATA=END; } > "$work/$dir.dump"
  db5.3_load -f "$work/$dir.dump" "$work/$dir/Packages"
  cp "$work/$dir/Packages" "$here/$dir/Packages"
  # rpm's read-only BDB backend reads it back: this is the expected output.
  rpm --define '_db_backend bdb_ro' --dbpath "$work/$dir" -qa --qf "$qf" 2>/dev/null | LC_ALL=C sort > "$here/$dir/rpm-qa.txt"
done

# 4. NDB: Debian's rpm has no ndb backend, so RpmAnalyzerTest's NdbFixtureWriter writes
#    ndb/Packages.db from sqlite/rpmdb.sqlite's blobs:
#    ./mvnw -B -pl inventory test -Dtest=RpmAnalyzerTest -Dportolan.golden.update=true
rm -rf "$work"

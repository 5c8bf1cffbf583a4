#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 with the role and
# database the integration tests use (portolan/portolan, database portolan_test).
set -euo pipefail
log() { echo "[ensure-postgres] $*" >&2; }
PGUSER_NAME=${PORTOLAN_PG_USER:-portolan}
PGPASS=${PORTOLAN_PG_PASSWORD:-portolan}
PGDB=${PORTOLAN_PG_DATABASE:-portolan_test}

ready() { PGPASSWORD=$PGPASS psql -h 127.0.0.1 -U "$PGUSER_NAME" -d "$PGDB" -Atc 'select 1' >/dev/null 2>&1; }
if ready; then exit 0; fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  log "PostgreSQL is not reachable as $PGUSER_NAME@127.0.0.1/$PGDB and I cannot install it (need root and apt-get)."
  exit 1
fi
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing postgresql from Debian"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  log "starting PostgreSQL $version"
  pg_ctlcluster "$version" main start
fi
for _ in $(seq 1 30); do
  su postgres -c "psql -Atc 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
su postgres -c "psql -v ON_ERROR_STOP=1 -q" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PGUSER_NAME') THEN
    CREATE ROLE $PGUSER_NAME LOGIN PASSWORD '$PGPASS' CREATEDB;
  END IF;
END \$\$;
SQL
if ! su postgres -c "psql -Atc \"select 1 from pg_database where datname='$PGDB'\"" | grep -q 1; then
  su postgres -c "createdb -O $PGUSER_NAME $PGDB"
fi
if ready; then log "PostgreSQL is up ($PGUSER_NAME@127.0.0.1:5432/$PGDB)"; exit 0; fi
log "PostgreSQL did not become reachable"
exit 1

#!/bin/sh
# Creates or upgrades the Temporal server's schemas in PostgreSQL: the history database and the SQL advanced
# visibility database. Idempotent: an existing database is kept and only the versions it lacks are applied.
# The compose stack runs it in the admin-tools image before the server starts; `npm run test:topology` runs it
# with the temporal-sql-tool built from source (SQL_TOOL). The schemas are the ones embedded in the tool.
set -eu

SQL_TOOL=${SQL_TOOL:-temporal-sql-tool}
: "${POSTGRES_SEEDS:?set POSTGRES_SEEDS to the PostgreSQL host}"
: "${POSTGRES_USER:?set POSTGRES_USER}"
: "${POSTGRES_PWD:?set POSTGRES_PWD}"

setup() {
  database=$1
  schema=$2
  set -- --plugin postgres12 --endpoint "$POSTGRES_SEEDS" --port "${DB_PORT:-5432}" \
    --user "$POSTGRES_USER" --password "$POSTGRES_PWD" --database "$database"
  # create-database fails on an existing database; the next steps fail too if the server cannot be reached.
  "$SQL_TOOL" "$@" create-database >/dev/null 2>&1 || echo "database $database exists"
  "$SQL_TOOL" "$@" setup-schema --version 0.0
  "$SQL_TOOL" "$@" update-schema --schema-name "$schema"
}

setup "${DBNAME:-temporal}" postgresql/v12/temporal
setup "${VISIBILITY_DBNAME:-temporal_visibility}" postgresql/v12/visibility

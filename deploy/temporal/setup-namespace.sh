#!/bin/sh
# Creates Opsflow's namespace and registers its custom search attributes (Keyword), then waits until a visibility
# query on them is accepted, so workers started next can set them. Idempotent. Arguments: the attribute names.
# The compose stack runs it in the admin-tools image once the server is healthy; `npm run test:topology` runs it
# with the Temporal CLI Opsflow builds (TEMPORAL_CLI).
set -eu

TEMPORAL_CLI=${TEMPORAL_CLI:-temporal}
NAMESPACE=${NAMESPACE:-default}
: "${TEMPORAL_ADDRESS:?set TEMPORAL_ADDRESS to the frontend host:port}"
export TEMPORAL_ADDRESS

# Runs a command until it succeeds, for at most two minutes: the frontend learns of a new namespace and of new
# search attributes through caches it refreshes on its own cadence.
retry() {
  tries=0
  until "$@" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -ge 120 ]; then
      echo "gave up after 2 minutes: $*" >&2
      "$@"
      exit 1
    fi
    sleep 1
  done
}

if ! "$TEMPORAL_CLI" operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  "$TEMPORAL_CLI" operator namespace create --namespace "$NAMESPACE" --retention "${NAMESPACE_RETENTION:-168h}"
fi
retry "$TEMPORAL_CLI" operator search-attribute list --namespace "$NAMESPACE"

query=''
for name in "$@"; do
  # An existing attribute of the same type is not an error; another type is, and fails here.
  "$TEMPORAL_CLI" operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type Keyword
  query="${query:+$query AND }$name != 'none'"
done
retry "$TEMPORAL_CLI" workflow count --namespace "$NAMESPACE" --query "$query"
echo "namespace $NAMESPACE ready with search attributes: $*"

#!/usr/bin/env bash
# Regenerates the PostgreSQL migrations after a change to the model in src/Relevance.Data.
#   bash ops/new-migration.sh            # rewrites the single InitialCreate migration (before the first release)
#   bash ops/new-migration.sh AddThing   # adds a migration named AddThing
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet tool restore >/dev/null
name="${1:-InitialCreate}"
if [ "$name" = "InitialCreate" ]; then rm -rf src/Relevance.Data/Migrations; fi
dotnet tool run dotnet-ef migrations add "$name" --project src/Relevance.Data --startup-project src/Relevance.Data --output-dir Migrations

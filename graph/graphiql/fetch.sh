#!/usr/bin/env bash
# Re-fetches the GraphiQL page's assets from the npm registry into assets/,
# which the binary embeds: /graphiql works with no internet access.
#
# The versions are the ones gqlgen v0.17.98's playground loads from a CDN; the
# script checks each file against the SRI hash gqlgen pins for it, so what we
# vendor is byte for byte what gqlgen would have loaded. Bump the versions (and
# the hashes) together.
set -euo pipefail
cd "$(dirname "$0")"

GRAPHIQL=4.1.2
REACT=18.2.0
EXPLORER=4.0.6

# file in package, name in assets/, sha256 SRI ("-" when gqlgen pins none)
files=(
  "graphiql@$GRAPHIQL package/graphiql.min.js graphiql-$GRAPHIQL.min.js sha256-hnImuor1znlJkD/FOTL3jayfS/xsyNoP04abi8bFJWs="
  "graphiql@$GRAPHIQL package/graphiql.min.css graphiql-$GRAPHIQL.min.css sha256-MEh+B2NdMSpj9kexQNN3QKc8UzMrCXW/Sx/phcpuyIU="
  "graphiql@$GRAPHIQL package/LICENSE LICENSE.graphiql -"
  "react@$REACT package/umd/react.production.min.js react-$REACT.production.min.js sha256-S0lp+k7zWUMk2ixteM6HZvu8L9Eh//OVrt+ZfbCpmgY="
  "react@$REACT package/LICENSE LICENSE.react -"
  "react-dom@$REACT package/LICENSE LICENSE.react-dom -"
  "react-dom@$REACT package/umd/react-dom.production.min.js react-dom-$REACT.production.min.js sha256-IXWO0ITNDjfnNXIu5POVfqlgYoop36bDzhodR6LW5Pc="
  "@graphiql/plugin-explorer@$EXPLORER package/dist/index.umd.js plugin-explorer-$EXPLORER.umd.js sha256-UM8sWOS0Xa9yLY85q6Clh0pF4qpxX+TOcJ41flECqBs="
  "@graphiql/plugin-explorer@$EXPLORER package/dist/style.css plugin-explorer-$EXPLORER.css -"
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf assets.new && mkdir assets.new
for entry in "${files[@]}"; do
  read -r pkg path name sri <<<"$entry"
  dir="$tmp/${pkg//[@\/]/_}"
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    tgz=$(cd "$dir" && npm pack --silent "$pkg")
    tar -xzf "$dir/$tgz" -C "$dir"
  fi
  if [ ! -f "$dir/$path" ]; then
    echo "$pkg has no $path" >&2
    exit 1
  fi
  if [ "$sri" != "-" ]; then
    got="sha256-$(openssl dgst -sha256 -binary "$dir/$path" | base64)"
    if [ "$got" != "$sri" ]; then
      echo "$pkg $path: $got, want $sri" >&2
      exit 1
    fi
  fi
  cp "$dir/$path" "assets.new/$name"
done
# @graphiql/plugin-explorer ships no LICENSE file; its package.json says MIT.
echo "@graphiql/plugin-explorer@$EXPLORER: MIT (package.json; the package ships no LICENSE file)" > assets.new/LICENSE.plugin-explorer
rm -rf assets && mv assets.new assets
echo "fetched into $(pwd)/assets:"
ls -l assets

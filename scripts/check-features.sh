#!/usr/bin/env bash
# Fails when `cargo build` and `cargo test` would resolve different features for some crate. Resolver 2
# does not unify dev-dependencies' features into a plain build, so a dev-dependency that switches on a feature
# of a shared crate (proptest: regex-syntax/default; criterion: serde/alloc) makes the demo's binary and the
# tests' binary two builds of everything above that crate. Cargo.toml names those features for the normal
# build too; this check keeps it that way.
set -euo pipefail
cd "$(dirname "$0")/.."
features() { cargo tree --locked "$@" -f '{p} {f}' --prefix none | sed 's/ (\*)$//' | sort -u; }
build=$(features -e no-dev)
test=$(features)
# The same crate listed with different feature sets in the two resolutions.
differ=$(diff <(echo "$build") <(echo "$test") | awk '/^[<>]/ { print $2 " " $3 }' | sort | uniq -d || true)
if [ -n "$differ" ]; then
  echo "check-features: these crates get other features under cargo test than under cargo build:" >&2
  diff <(echo "$build") <(echo "$test") | grep -E "^[<>] ($(echo "$differ" | awk '{print $1}' | paste -sd'|')) " >&2 || true
  echo "name the missing features in Cargo.toml's [dependencies] (see the regex-syntax entry there)" >&2
  exit 1
fi
echo "check-features: cargo build and cargo test resolve the same features"

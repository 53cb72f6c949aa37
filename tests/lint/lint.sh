#!/bin/sh
# Source checks that catch bug patterns the compiler does not.
# 1. `j.value("k", ...).items()` iterates a destroyed temporary (nlohmann's
#    value() returns by value); use JsonObjectMember(j, "k").items().
set -u
cd "${WFS_SOURCE_DIR:?}"
status=0
hits=$(grep -rnE --include='*.cc' --include='*.h' \
  '\.value\("[^"]*", *[^;]*\)\.(items|begin|end)\(\)' src tests fuzz bench \
  2>/dev/null | grep -vE '^[^:]+:[0-9]+: *//')
if [ -n "$hits" ]; then
  echo "iterating a temporary returned by Json::value():"
  echo "$hits"
  status=1
fi
[ $status -eq 0 ] && echo "lint: clean"
exit $status

#!/usr/bin/env bash
# The official Python client against `minik8s server` (see python_client_test.py).
source "$(dirname "$0")/lib.sh"
trap finish EXIT
start_server
echo "python client e2e against port $PORT"
if /usr/bin/python3 "$(dirname "$0")/python_client_test.py" "$KUBECONFIG"; then
  pass "python client scenario"
else
  fail "python client scenario"
fi

#!/usr/bin/env bash
# `make run`: migrate, seed the demo, start web + Celery worker + beat, print what a newcomer needs.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-1}"
export DEMO_MODE="${DEMO_MODE:-1}"
PORT="${PORT:-8000}"
export PUBLIC_URL="${PUBLIC_URL:-http://127.0.0.1:$PORT}"
PY=.venv/bin/python
mkdir -p var/log

$PY manage.py migrate --noinput -v0
$PY manage.py seed_demo >/dev/null
TOKEN=$($PY manage.py scim_token demo --label "make run" 2>/dev/null | tail -n 1)

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# prometheus-client multiprocess mode: /metrics adds up the SCIM counters of both gunicorn workers.
export PROMETHEUS_MULTIPROC_DIR="$PWD/var/prometheus"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
.venv/bin/gunicorn lms_identity.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --threads 4 \
  --access-logfile var/log/web.log --error-logfile var/log/web.log &
pids+=($!)
.venv/bin/celery -A lms_identity worker --loglevel INFO --concurrency 2 >var/log/worker.log 2>&1 &
pids+=($!)
# Audit seals have their own queue and this worker, so they never wait behind a long job (README).
.venv/bin/celery -A lms_identity worker -Q audit --concurrency 1 -n audit@%h --loglevel INFO \
  >var/log/audit-worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A lms_identity beat --loglevel INFO >var/log/beat.log 2>&1 &
pids+=($!)
# The demo OpenID provider (DEMO_MODE only): the demo connection signs in through it (lms_identity/sso/demo.py).
DEMO_SIGN_IN="(off: DEMO_MODE is not set)"
if [ "$DEMO_MODE" = "1" ] && [ -d tests/oidc_provider/node_modules ]; then
  (cd tests/oidc_provider && exec node server.js --issuer http://127.0.0.1:8300 --port 8300 \
    --client-id lms-demo --client-secret demo-only-client-secret \
    --redirect-uri "$PUBLIC_URL/sso/demo/callback/" --initiate-uri "$PUBLIC_URL/sso/demo/initiate/" \
    --target-link-uri "$PUBLIC_URL/learn/" --post-logout-uri "$PUBLIC_URL/sso/demo/signed-out/" \
    --backchannel-logout-uri "$PUBLIC_URL/sso/demo/backchannel-logout/" \
    --accounts demo-accounts.json) >var/log/demo-idp.log 2>&1 &
  pids+=($!)
  DEMO_SIGN_IN="$PUBLIC_URL/login/ -> Sign in with Demo IdP, as ada/ada (MFA), grace/grace, alan/alan or mary/mary"
fi

for _ in $(seq 50); do curl -fs "$PUBLIC_URL/login/" >/dev/null && break; sleep 0.2; done

cat <<INFO

  Learning platform identity layer is running (logs in var/log/).

  SCIM base URL   $PUBLIC_URL/scim/v2/
  SCIM token      $TOKEN
  Try it          curl -H "Authorization: Bearer $TOKEN" $PUBLIC_URL/scim/v2/Users
  Admin           $PUBLIC_URL/admin/   (Sign in with Demo IdP as grace/grace: L&D admin by the "LMS Admins" group)
  Learner login   $PUBLIC_URL/login/
  Health          $PUBLIC_URL/readyz   (liveness: $PUBLIC_URL/healthz)
  Metrics         curl $PUBLIC_URL/metrics   (from this machine; elsewhere METRICS_TOKEN)
  Audit chain     DEBUG=1 .venv/bin/python manage.py verify_audit   (or Admin -> Audit events -> Verify the chain)
  Clean-up        DEBUG=1 .venv/bin/python manage.py import_accounts provisioning/demo_data/legacy_accounts.csv --connection demo --dry-run
                  (the dry run before switching SCIM on; or Admin -> People -> Import accounts)
  SCIM failures   $PUBLIC_URL/admin/provisioning/scimrequest/?outcome=failed   (redacted request and our answer)
  Demo SSO        $DEMO_SIGN_IN
                  (or start from the demo IdP's app tile: http://127.0.0.1:8300/apps)

  Press Ctrl-C to stop.
INFO
wait -n "${pids[@]}"

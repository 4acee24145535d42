# Sourced by .ci/run: axe-core for the /learn accessibility test (tests/clinic/learn/test_browser.py).
# Installed outside the repository (nothing vendored); the test looks in /tmp/axe or $SCARWISE_AXE_JS.
npm install --silent --no-audit --no-fund --prefix /tmp/axe axe-core@4 >/dev/null

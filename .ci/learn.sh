# Sourced by .ci/run: axe-core for the /learn accessibility test (tests/clinic/learn/test_browser.py).
# Installed outside the repository (nothing vendored); the test looks in /tmp/axe or $SCARWISE_AXE_JS.
# Never fatal: without axe-core that one check skips and says why.
if command -v npm >/dev/null 2>&1; then
  npm install --silent --no-audit --no-fund --prefix /tmp/axe axe-core@4 >/dev/null \
    || echo "learn.sh: axe-core could not be installed; the accessibility check will skip"
else
  echo "learn.sh: npm not found; the accessibility check will skip"
fi

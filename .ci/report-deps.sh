# Debian packages for `scarwise report` PDFs and their tests: Noto fonts (Latin and Naskh Arabic), DejaVu (☐),
# poppler (pdftotext/pdftoppm used by tests), and the Pango/HarfBuzz libraries WeasyPrint loads.
# Sourced by .ci/run as root with `set -euo pipefail`; idempotent and quick when already installed.
_report_pkgs="fonts-noto-core fonts-dejavu-core poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig"
_report_missing=""
for _p in $_report_pkgs; do
  _status="$(dpkg-query -W -f='${Status}' "$_p" 2>/dev/null || true)"
  if [ "$_status" != "install ok installed" ]; then
    _report_missing="$_report_missing $_p"
  fi
done
if [ -n "$_report_missing" ]; then
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ]; then
    apt-get update -qq
  fi
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $_report_missing || { apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends $_report_missing; }
  fc-cache -f >/dev/null 2>&1 || true
fi
unset _report_pkgs _report_missing _p _status

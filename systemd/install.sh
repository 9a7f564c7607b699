# shellcheck shell=bash
# The system-wide install and uninstall of setup.sh (--install, --uninstall); sourced by setup.sh, which
# sets: mode (server|kiosk), prefix, destdir, no_venv. See docs/deployment.md.
#
# Layout (everything below $destdir, which is empty for a real install):
#   $prefix/app                            the source tree (tracked files; tests and benchmarks left out)
#   $prefix/venv                           its virtual environment (editable install of $prefix/app)
#   /etc/fitting-booth/config.yaml         the settings: written once, never overwritten (upgrades keep it)
#   /etc/fitting-booth/config.yaml.default this version's commented defaults, to compare after an upgrade
#   /etc/systemd/system/tryon-server.service                       --server
#   /etc/nginx/conf.d/tryon-server.conf     --server: nginx on port 8000 in front of gunicorn (127.0.0.1:8001)
#   /etc/systemd/user/tryon-kiosk.service, /etc/xdg/autostart/tryon-kiosk.desktop   --kiosk
# The server runs as a DynamicUser, so no account is created. A virtual environment only works at the path
# it was built in: with --destdir it is usable in place (tests), packagers pass --no-venv.

deploy_changed=""  # set when a run wrote anything, so a running service is restarted only then

deploy_check_prefix() {
  case "$prefix" in
    /*) ;;
    *) echo "setup.sh: --prefix must be an absolute path (got '$prefix')" >&2; exit 2 ;;
  esac
  if ! [[ "$prefix" =~ ^/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$ ]] || [ "$prefix" = "/usr" ] || [ "$prefix" = "/etc" ]; then
    echo "setup.sh: refusing --prefix '$prefix' (use a folder of its own, like /opt/fitting-booth)" >&2
    exit 2
  fi
  if [ -z "$destdir" ] && [ "$(id -u)" != 0 ]; then
    echo "setup.sh: installing into $prefix and /etc needs root (sudo ./setup.sh ...)" >&2
    echo "          (or stage it elsewhere with --destdir DIR)" >&2
    exit 1
  fi
}

# Copy $2 (a file) to $1 with mode $3 unless it already holds exactly that.
deploy_write() {
  local target="$1" source="$2" file_mode="$3"
  if [ -f "$target" ] && cmp -s "$source" "$target" && [ "$(stat -c %a "$target")" = "${file_mode#0}" ]; then
    return 0
  fi
  install -D -m "$file_mode" "$source" "$target"
  echo "setup.sh: wrote ${target#"$destdir"}"
  deploy_changed=1
}

# The files that make up the app: the tracked ones in a git checkout, else everything but build output.
deploy_file_list() {
  # safe.directory: under sudo the checkout belongs to another user, which git otherwise refuses.
  local git=(git -c safe.directory="$(pwd -P)")
  if "${git[@]}" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    "${git[@]}" ls-files -z --cached -- . ':!:tests' ':!:bench' ':!:.ci' ':!:.gitignore' \
      | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done
  else
    find . \( -name .git -o -name .venv -o -name __pycache__ -o -name '*.egg-info' -o -name .pytest_cache \
      -o -name .hypothesis -o -path ./tests -o -path ./bench -o -path ./.ci -o -path ./build -o -path ./var \
      -o -path ./out \) -prune -o -type f -print0
  fi
}

deploy_install_app() {
  local app="$destdir$prefix/app" staged
  if [ -d "$app" ] && [ "$(cd "$app" && pwd -P)" = "$(pwd -P)" ]; then
    return 0  # running the installed copy's own setup.sh
  fi
  umask 022  # the service's user must be able to read the code whatever the caller's umask
  staged="$(mktemp -d "${TMPDIR:-/tmp}/fitting-booth-app.XXXXXX")"
  deploy_file_list | tar --null -T - -cf - | tar -C "$staged" -xf -
  if [ -d "$app" ] && diff -rq -x __pycache__ -x '*.egg-info' -x build "$staged" "$app" >/dev/null; then
    rm -rf "$staged"
    echo "setup.sh: ${app#"$destdir"} is up to date"
    return 0
  fi
  mkdir -p "$(dirname "$app")"
  chmod 0755 "$staged"
  rm -rf "$app"
  mv "$staged" "$app"
  echo "setup.sh: installed the app into ${app#"$destdir"}"
  deploy_changed=1
}

deploy_install_config() {
  local etc="$destdir/etc/fitting-booth" fresh
  fresh="$(mktemp)"
  deploy_write "$etc/config.yaml.default" config.yaml 0644
  if [ -e "$etc/config.yaml" ]; then
    echo "setup.sh: kept your /etc/fitting-booth/config.yaml (this version's defaults: config.yaml.default)"
  else
    if [ "$mode" = server ]; then
      # gunicorn listens on loopback behind nginx (which serves the store LAN on port 8000); keep the catalog
      # cache where the unit's CacheDirectory= allows writing.
      sed -e 's|^  port: 8000 .*$|  port: 8001                 # behind nginx, which listens on the LAN (port 8000)|' \
          -e 's#^\(    cache_dir:\) ~/\.cache/fitting-booth/catalog#\1 /var/cache/fitting-booth/catalog#' \
          config.yaml >"$fresh"
      # Root-only: it may hold the auth token. The unit hands it to the service as a credential.
      deploy_write "$etc/config.yaml" "$fresh" 0600
    else
      # The desktop user runs the kiosk and must read it.
      deploy_write "$etc/config.yaml" config.yaml 0644
    fi
  fi
  rm -f "$fresh"
  if [ -z "$no_venv" ] && [ -r "$etc/config.yaml" ]; then
    "$venv/bin/python" -c 'import sys; from common.config import load_config; load_config(sys.argv[1])' \
      "$etc/config.yaml" || echo "setup.sh: warning: fix /etc/fitting-booth/config.yaml before starting (see above)" >&2
  fi
}

deploy_unit_text() {  # the unit or desktop file with this install's prefix
  sed "s#/opt/fitting-booth#$prefix#g" "$1"
}

deploy_systemctl() {  # systemctl for this install: offline into --destdir, else the running system
  if [ -n "$destdir" ]; then systemctl --root="$destdir" "$@"; else systemctl "$@"; fi
}

deploy_systemd_running() {
  [ -z "$destdir" ] && [ -d /run/systemd/system ]
}

deploy_install_units() {
  local tmp
  tmp="$(mktemp)"
  if [ "$mode" = server ]; then
    deploy_unit_text systemd/tryon-server.service >"$tmp"
    deploy_write "$destdir/etc/systemd/system/tryon-server.service" "$tmp" 0644
    deploy_install_nginx
    if ! command -v systemctl >/dev/null; then
      echo "setup.sh: systemctl not found: enable tryon-server.service by hand" >&2
    elif deploy_systemd_running; then
      systemctl daemon-reload
      systemctl enable --quiet tryon-server.service
      if [ -n "$deploy_changed" ]; then systemctl restart tryon-server.service; else systemctl start tryon-server.service; fi
      echo "setup.sh: tryon-server is enabled and starting (models load in a minute or so):"
      echo "          journalctl -u tryon-server -f    curl http://127.0.0.1:8000/readyz"
    else
      deploy_systemctl enable --quiet tryon-server.service
      echo "setup.sh: tryon-server.service enabled; it starts at the next boot"
    fi
    echo "setup.sh: the server listens on the LAN; set server.auth_token in /etc/fitting-booth/config.yaml"
    echo "          and the same kiosk.client.auth_token on the kiosks (docs/deployment.md)"
  else
    deploy_unit_text systemd/tryon-kiosk.service >"$tmp"
    deploy_write "$destdir/etc/systemd/user/tryon-kiosk.service" "$tmp" 0644
    deploy_unit_text systemd/tryon-kiosk.desktop >"$tmp"
    deploy_write "$destdir/etc/xdg/autostart/tryon-kiosk.desktop" "$tmp" 0644
    if command -v systemctl >/dev/null; then
      deploy_systemctl --global enable --quiet tryon-kiosk.service
      echo "setup.sh: tryon-kiosk enabled for desktop users; it starts with the next desktop login (reboot)"
    else
      echo "setup.sh: systemctl not found: enable tryon-kiosk.service by hand" >&2
    fi
    echo "setup.sh: point kiosk.client.server_urls in /etc/fitting-booth/config.yaml at the try-on server"
    if [ "$(stat -c %a "$destdir/etc/fitting-booth/config.yaml")" = 600 ]; then
      echo "setup.sh: warning: /etc/fitting-booth/config.yaml is root-only (a server install made it): let the" >&2
      echo "          desktop user read it, e.g. sudo chgrp USER /etc/fitting-booth/config.yaml && sudo chmod 0640 it" >&2
    fi
  fi
  rm -f "$tmp"
}

# nginx in front of gunicorn (slow clients never reach a gunicorn thread; docs/reliability.md). Debian's
# nginx package enables its own unit; this adds the site and reloads nginx when the site changed.
deploy_install_nginx() {
  local before="$deploy_changed" site="$destdir/etc/nginx/conf.d/tryon-server.conf"
  deploy_changed=""
  deploy_write "$site" nginx/tryon-server.conf 0644
  if deploy_systemd_running; then
    if ! nginx -t -q; then
      echo "setup.sh: nginx refuses its configuration (nginx -t above); the try-on server is not reachable on port 8000" >&2
    elif [ -n "$deploy_changed" ] || ! systemctl is-active --quiet nginx.service; then
      systemctl enable --quiet nginx.service
      systemctl reload-or-restart nginx.service
      echo "setup.sh: nginx serves the try-on server on port 8000 (gunicorn listens on 127.0.0.1:8001)"
    fi
  fi
  deploy_changed="${deploy_changed:-$before}"
}

deploy_install() {
  if [ -z "$no_venv" ]; then
    "$venv/bin/python" -m compileall -q "$destdir$prefix/app" >/dev/null || true  # code is read-only at run time
  fi
  deploy_install_config
  deploy_install_units
  echo "setup.sh: installed --$mode into ${destdir:+$destdir:}$prefix"
}

deploy_uninstall() {
  local unit
  if [ -e "$destdir/etc/systemd/system/tryon-server.service" ]; then
    if deploy_systemd_running; then
      systemctl disable --now --quiet tryon-server.service || true
    elif command -v systemctl >/dev/null; then
      deploy_systemctl disable --quiet tryon-server.service || true
    fi
  fi
  if [ -e "$destdir/etc/systemd/user/tryon-kiosk.service" ] && command -v systemctl >/dev/null; then
    deploy_systemctl --global disable --quiet tryon-kiosk.service || true
    deploy_systemd_running && echo "setup.sh: a kiosk still on screen stops at logout (or: systemctl --user stop tryon-kiosk)"
  fi
  for unit in /etc/systemd/system/tryon-server.service /etc/systemd/user/tryon-kiosk.service \
              /etc/xdg/autostart/tryon-kiosk.desktop /etc/nginx/conf.d/tryon-server.conf; do
    if [ -e "$destdir$unit" ]; then rm -f "$destdir$unit"; echo "setup.sh: removed $unit"; fi
  done
  if deploy_systemd_running && systemctl is-active --quiet nginx.service; then
    systemctl reload nginx.service || true
  fi
  deploy_systemd_running && systemctl daemon-reload
  for dir in app venv; do
    if [ -e "$destdir$prefix/$dir" ]; then rm -rf "$destdir$prefix/$dir"; echo "setup.sh: removed $prefix/$dir"; fi
  done
  rmdir "$destdir$prefix" 2>/dev/null || true
  echo "setup.sh: kept /etc/fitting-booth (your configuration) and the server's cache and state in"
  echo "          /var/cache/fitting-booth and /var/lib/fitting-booth; delete them by hand if you want them gone"
}

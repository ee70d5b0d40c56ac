#!/usr/bin/env bash
# Takes a fresh Debian 12 / Ubuntu 22.04+ server to a running HTTPS Observer, and upgrades
# it later. Idempotent: run it again with the same flags and it changes nothing that is
# already right; the env file (secret key, database password) is never overwritten.
#
#   deploy/install.sh --domain class.example.org --email admin@example.org   # install
#   deploy/install.sh --upgrade                                               # new code, rolling restart
#
# Flags (nothing is asked):
#   --domain NAME       the site's name (default: this machine's `hostname -f`). A public name
#                       with --email gets a Let's Encrypt certificate (certbot); anything else
#                       (localhost, an IP, no --email) a self-signed one, said loudly.
#   --email ADDR        for Let's Encrypt (expiry notices).
#   --instances N       server processes (default: the number of cores), ports FIRST_PORT...
#   --upgrade           fetch the code again (--source, --ref), install, migrate, and restart
#                       the instances one at a time, each answering /health before the next.
#   --source GIT        where the code comes from (default: the repository this script is in).
#   --ref REF           which commit/branch/tag (default: that repository's HEAD).
#   --root DIR          everything under DIR instead of /: code, /etc/observer, the nginx
#                       configuration (its own nginx master), logs (tests: a machine's own corner).
#   --first-port P      the first instance's port (default 8000).
#   --http-port P / --https-port P   nginx's ports (default 80 / 443).
#   --db-admin-url URL  a PostgreSQL superuser URL to create the role and database with; by
#                       default the local server (PostgreSQL is installed) as the postgres user.
#   --db-name NAME      the database and its role (default observer).
#   --redis-url URL     an existing Redis (default: the local one, installed).
#   --user NAME         the system user the service runs as (default observer).
#   --backend NAME      the sandbox backend written to a new env file (bubblewrap | podman |
#                       docker); with podman or docker the instances run as root (the runbook's
#                       "Which user"), students' programs never do.
# Without systemd as PID 1 (containers, CI) the script says so and starts the very commands
# the units run (ExecStart of observer@.service), with pid files and logs in its run and log
# directories; systemd-analyze verify still checks the units it installs.
set -euo pipefail

HERE="$(cd "$(dirname "$0")/.." && pwd)"
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
loud() { printf '\n\033[1;33m!!! %s\033[0m\n\n' "$*" >&2; }
die() { printf '\033[1;31minstall.sh: %s\033[0m\n' "$*" >&2; exit 1; }

domain="" email="" instances="" upgrade=0 source="" ref="" root="" first_port=8000
http_port=80 https_port=443 db_admin_url="" db_name=observer redis_url="" user=observer backend=bubblewrap
while (( $# )); do
  case "$1" in
    --domain) domain=$2; shift 2 ;;
    --email) email=$2; shift 2 ;;
    --instances) instances=$2; shift 2 ;;
    --upgrade) upgrade=1; shift ;;
    --source) source=$2; shift 2 ;;
    --ref) ref=$2; shift 2 ;;
    --root) root=$2; shift 2 ;;
    --first-port) first_port=$2; shift 2 ;;
    --http-port) http_port=$2; shift 2 ;;
    --https-port) https_port=$2; shift 2 ;;
    --db-admin-url) db_admin_url=$2; shift 2 ;;
    --db-name) db_name=$2; shift 2 ;;
    --redis-url) redis_url=$2; shift 2 ;;
    --user) user=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown flag $1 (see --help)" ;;
  esac
done
[[ $(id -u) -eq 0 ]] || die "run as root (it installs packages, a system user and services)"
[[ -z "$instances" ]] && instances=$(nproc)
[[ "$instances" =~ ^[1-9][0-9]*$ ]] || die "--instances must be a positive number"
for port in "$first_port" "$http_port" "$https_port"; do
  [[ "$port" =~ ^[0-9]+$ ]] || die "ports are numbers ($port)"
done
[[ -z "$domain" ]] && domain=$(hostname -f 2>/dev/null || hostname)
[[ "$domain" =~ ^[A-Za-z0-9.-]+$ ]] || die "--domain must be a host name ($domain)"
[[ "$backend" =~ ^(bubblewrap|podman|docker)$ ]] || die "--backend must be bubblewrap, podman or docker"
[[ "$db_name" =~ ^[a-z_][a-z0-9_]*$ ]] || die "--db-name: lower-case letters, digits and _"

# --- Where things go ------------------------------------------------------------------
prefix="$root/opt/observer"
etc="$root/etc/observer"
env_file="$etc/observer.env"
tls="$etc/tls"
logs="$root/var/log/observer"
run="$root/run/observer"
webroot="$root/var/lib/observer/acme"
if [[ -n "$root" ]]; then
  nginx_dir="$root/etc/nginx"
  own_nginx=1
else
  nginx_dir=/etc/nginx
  own_nginx=0
fi
ports=()
for (( i = 0; i < instances; i++ )); do ports+=($(( first_port + i ))); done

systemd=0
if [[ -d /run/systemd/system ]] && [[ "$(ps -p 1 -o comm= 2>/dev/null)" == systemd ]] && [[ -z "$root" ]]; then
  systemd=1
else
  loud "systemd is not PID 1 here$( [[ -n "$root" ]] && echo " (or --root was given)"): the instances are started by this
script with the units' own command (ExecStart of observer@.service), logs in $logs, pid files in
$run. They do not come back after a reboot: run this script again (or use a machine with systemd)."
fi

public_domain=0
if [[ -n "$email" && "$domain" == *.* && ! "$domain" =~ ^[0-9.]+$ && "$domain" != *.local && "$domain" != *.test \
      && "$domain" != *.localhost ]]; then
  public_domain=1
fi

# --- Packages -----------------------------------------------------------------------------
# A package is wanted when its command is missing (Node may come from NodeSource, say).
wants=(git:git python3-venv: nodejs:node npm:npm nginx:nginx openssl:openssl curl:curl postgresql-client:psql)
[[ -z "$db_admin_url" ]] && wants+=(postgresql:)
[[ -z "$redis_url" ]] && wants+=(redis-server:redis-server)
(( public_domain )) && wants+=(certbot:certbot)
[[ "$backend" == docker ]] && wants+=(docker.io:dockerd)
missing=()
for want in "${wants[@]}"; do
  pkg=${want%%:*} cmd=${want#*:}
  if [[ -n "$cmd" ]]; then
    PATH=$PATH:/usr/sbin command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  else
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  fi
done
if (( ${#missing[@]} )); then
  say "Installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [[ -z "$db_admin_url" && $systemd -eq 0 ]] && ! runuser -u postgres -- psql -tAc 'select 1' >/dev/null 2>&1; then
  say "Starting PostgreSQL (no systemd)"
  pg_ctlcluster "$(ls /etc/postgresql | sort -V | tail -1)" main start || die "PostgreSQL does not start"
fi
if [[ -z "$redis_url" && $systemd -eq 0 ]] && ! redis-cli ping >/dev/null 2>&1; then
  say "Starting Redis (no systemd)"
  redis-server /etc/redis/redis.conf --daemonize yes >/dev/null
fi
redis_url=${redis_url:-redis://127.0.0.1:6379/0}
# Who runs the instances: the service user, or root for the container backends (rootful
# podman; dockerd's socket). Files stay the service user's either way.
service_user=$user
[[ "$backend" == podman || "$backend" == docker ]] && service_user=root
if [[ "$backend" == docker ]] && ! docker info >/dev/null 2>&1; then
  say "Starting dockerd"
  if (( systemd )); then systemctl enable -q --now docker
  else setsid dockerd --iptables=false --ip6tables=false --bridge=none >>/var/log/dockerd.log 2>&1 </dev/null &
  fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
fi

# --- User, directories, code --------------------------------------------------------------
if ! id -u "$user" >/dev/null 2>&1; then
  say "Creating the system user $user"
  useradd --system --home-dir "$prefix" --no-create-home --shell /usr/sbin/nologin "$user"
fi
install -d -m 0755 "$(dirname "$prefix")" "$logs" "$run" "$webroot"
install -d -m 0750 -g "$user" "$etc"
install -d -m 0700 "$tls"
chown "$user:" "$logs" "$run"

source=${source:-$HERE}
# The code belongs to the service user; git run by root refuses such a tree unless told.
git config --global --get-all safe.directory 2>/dev/null | grep -qxF "$prefix" \
  || git config --global --add safe.directory "$prefix"
if [[ -z "$ref" ]]; then
  ref=$(git -C "$source" rev-parse HEAD 2>/dev/null || echo HEAD)
fi
code_changed=0
if [[ ! -d "$prefix/.git" ]]; then
  say "Fetching the code ($source $ref) into $prefix"
  git init -q "$prefix"
  git -C "$prefix" fetch -q "$source" "$ref"
  git -C "$prefix" checkout -q --force FETCH_HEAD
  code_changed=1
elif (( upgrade )); then
  before=$(git -C "$prefix" rev-parse HEAD)
  git -C "$prefix" fetch -q "$source" "$ref"
  git -C "$prefix" checkout -q --force FETCH_HEAD
  after=$(git -C "$prefix" rev-parse HEAD)
  if [[ "$before" != "$after" ]]; then
    say "Code upgraded: ${before:0:12} -> ${after:0:12}"
    code_changed=1
  else
    say "Code already at ${after:0:12}"
  fi
fi
# --- Database and env file (generated once, never overwritten) ------------------------------
psql_admin() {
  if [[ -n "$db_admin_url" ]]; then psql -qtA -v ON_ERROR_STOP=1 "$db_admin_url" "$@"
  else runuser -u postgres -- psql -qtA -v ON_ERROR_STOP=1 "$@"
  fi
}
db_role=$db_name
if [[ ! -f "$env_file" ]]; then
  say "Creating the database $db_name and the env file $env_file"
  password=$(openssl rand -hex 24)
  if [[ -n "$(psql_admin -c "select 1 from pg_roles where rolname = '$db_role'")" ]]; then
    psql_admin -c "alter role \"$db_role\" login password '$password'"
  else
    psql_admin -c "create role \"$db_role\" login password '$password'"
  fi
  if [[ -z "$(psql_admin -c "select 1 from pg_database where datname = '$db_name'")" ]]; then
    psql_admin -c "create database \"$db_name\" owner \"$db_role\""
  fi
  db_host=127.0.0.1 db_port=5432
  if [[ -n "$db_admin_url" ]]; then
    hostport=$(printf '%s' "$db_admin_url" | sed -E 's#^[a-z]+://([^@/]*@)?([^/?]*).*#\2#')
    db_host=${hostport%%:*}
    [[ "$hostport" == *:* ]] && db_port=${hostport##*:}
  fi
  origin="https://$domain"
  [[ "$https_port" != 443 ]] && origin="$origin:$https_port"
  secret=$(openssl rand -base64 64 | tr -d '\n/+=' | cut -c1-64)
  sealing=$(openssl rand -base64 32 | tr '+/' '-_')  # a Fernet key: 32 bytes, url-safe base64
  tmp=$(mktemp "$etc/.observer.env.XXXXXX")
  sed -e "s#^SECRET_KEY=.*#SECRET_KEY=$secret#" \
      -e "s#^SECRETS_ENCRYPTION_KEYS=.*#SECRETS_ENCRYPTION_KEYS=$sealing#" \
      -e "s#^ALLOWED_HOSTS=.*#ALLOWED_HOSTS=$domain#" \
      -e "s#^CSRF_TRUSTED_ORIGINS=.*#CSRF_TRUSTED_ORIGINS=$origin#" \
      -e "s#^CORS_ALLOWED_ORIGINS=.*#CORS_ALLOWED_ORIGINS=$origin#" \
      -e "s#^DATABASE_URL=.*#DATABASE_URL=postgres://$db_role:$password@$db_host:$db_port/$db_name#" \
      -e "s#^REDIS_URL=.*#REDIS_URL=$redis_url#" \
      -e "s#^SANDBOX_BACKEND=.*#SANDBOX_BACKEND=$backend#" \
      -e "s#/var/lib/observer/#$root/var/lib/observer/#" \
      "$prefix/deploy/observer.env.example" > "$tmp"
  chmod 0640 "$tmp" && chown "root:$user" "$tmp" && mv "$tmp" "$env_file"
else
  say "Keeping $env_file (never overwritten; see the runbook to rotate its secrets)"
fi

# Commands as the service user with the env file loaded, as the units run them.
as_app() {
  runuser -u "$user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME="$prefix" \
    bash -c 'set -a; . "$0"; set +a; cd "$1"; shift; exec "$@"' "$env_file" "$prefix" "$@"
}

# --- Python, runtimes, the built app; migrations, static files -----------------------------
if (( code_changed )) || [[ ! -x "$prefix/.venv/bin/uvicorn" ]]; then
  say "Installing (scripts/install: sandbox, .venv, runtimes, the browser app)"
  ( cd "$prefix" && set -a && . "$env_file" && set +a && PYTHON=/usr/bin/python3 scripts/install )
  chown -R "$user:" "$prefix"
fi
say "Migrating and collecting static files"
as_app .venv/bin/python manage.py migrate --no-input -v 0
as_app .venv/bin/python manage.py collectstatic --no-input -v 0

# --- Certificate --------------------------------------------------------------------------
cert="$tls/fullchain.pem" key="$tls/privkey.pem"
if (( public_domain )) && [[ -f /etc/letsencrypt/live/$domain/fullchain.pem ]]; then
  cert=/etc/letsencrypt/live/$domain/fullchain.pem key=/etc/letsencrypt/live/$domain/privkey.pem
elif [[ ! -f "$cert" ]]; then
  say "Making a self-signed certificate for $domain"
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$domain" -addext "subjectAltName=DNS:$domain" \
    -keyout "$key" -out "$cert" 2>/dev/null
  chmod 0600 "$key"
fi

# --- nginx --------------------------------------------------------------------------------
render_site() {  # the shipped site with this machine's name, certificate, ports and paths
  local upstreams="" port
  for port in "${ports[@]}"; do upstreams+="    server 127.0.0.1:$port max_fails=0;\\n"; done
  sed -e "s#server_name class.example.org;#server_name $domain;#" \
      -e "s#/etc/letsencrypt/live/class.example.org/fullchain.pem#$1#" \
      -e "s#/etc/letsencrypt/live/class.example.org/privkey.pem#$2#" \
      -e "s#listen 80;#listen $http_port;#" \
      -e "s#listen 443 ssl http2;#listen $https_port ssl http2;#" \
      -e "s#^    server 127.0.0.1:8000 max_fails=0;\$#${upstreams%\\n}#" \
      -e "s#/opt/observer/#$prefix/#" \
      -e "s#/var/lib/observer/acme#$webroot#" \
      -e "s#/var/log/nginx/#$logs/#" \
      "$prefix/deploy/nginx-observer.conf"
}
nginx_main="$nginx_dir/nginx.conf"
site="$nginx_dir/sites-available/observer"
install -d "$nginx_dir/sites-available" "$nginx_dir/sites-enabled"
if (( own_nginx )); then
  install -d "$root/var/lib/nginx"
  cat > "$nginx_main" <<EOF
user www-data;
worker_processes auto;
pid $run/nginx.pid;
error_log $logs/nginx-error.log warn;
events { worker_connections 768; }
http {
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    client_body_temp_path $root/var/lib/nginx/body;
    proxy_temp_path $root/var/lib/nginx/proxy;
    fastcgi_temp_path $root/var/lib/nginx/fastcgi;
    uwsgi_temp_path $root/var/lib/nginx/uwsgi;
    scgi_temp_path $root/var/lib/nginx/scgi;
    include $nginx_dir/sites-enabled/*;
}
EOF
fi
render_site "$cert" "$key" > "$site.new" && mv "$site.new" "$site"
ln -sfn "$site" "$nginx_dir/sites-enabled/observer"
if (( ! own_nginx )) && [[ -L /etc/nginx/sites-enabled/default ]]; then
  say "Disabling nginx's default site (it would answer for unknown names on port 80)"
  rm -f /etc/nginx/sites-enabled/default
fi
nginx_args=()
(( own_nginx )) && nginx_args=(-c "$nginx_main" -p "$root/")
nginx "${nginx_args[@]}" -t -q || die "nginx -t failed on $site"
reload_nginx() {
  if (( systemd )); then systemctl reload-or-restart nginx
  elif [[ -f "${1:-/run/nginx.pid}" ]] && kill -0 "$(cat "${1:-/run/nginx.pid}")" 2>/dev/null; then
    nginx "${nginx_args[@]}" -s reload
  else
    nginx "${nginx_args[@]}"
  fi
}
nginx_pid=/run/nginx.pid
(( own_nginx )) && nginx_pid="$run/nginx.pid"

# --- Instances ------------------------------------------------------------------------------
units=/etc/systemd/system
render_unit() {  # a shipped unit for this machine's paths and user
  sed -e "s#/opt/observer#$prefix#g" -e "s#/etc/observer/observer.env#$env_file#" \
      -e "s#^User=observer#User=$user#" -e "s#^Group=observer#Group=$user#" \
      -e "s#-/var/lib/observer#-$root/var/lib/observer#" "$prefix/deploy/$1"
}
if (( systemd )); then
  for unit in observer@.service observer-cleanup.service observer-cleanup.timer observer-webhooks.service \
      observer-webhooks.timer; do
    render_unit "$unit" > "$units/$unit.new" && mv "$units/$unit.new" "$units/$unit"
  done
  if [[ "$service_user" == root ]]; then
    install -d "$units/observer@.service.d"
    printf '[Service]\nUser=root\nGroup=root\n' > "$units/observer@.service.d/root.conf"
  else
    rm -f "$units/observer@.service.d/root.conf"
  fi
  systemctl daemon-reload
  systemctl enable -q observer-cleanup.timer && systemctl start observer-cleanup.timer
  systemctl enable -q observer-webhooks.timer && systemctl start observer-webhooks.timer
else
  install -d "$etc/units"
  for unit in observer@.service observer-cleanup.service observer-cleanup.timer observer-webhooks.service \
      observer-webhooks.timer; do
    render_unit "$unit" > "$etc/units/$unit"
  done
  if command -v systemd-analyze >/dev/null 2>&1; then
    cp "$etc/units/observer@.service" "$etc/units/observer@${ports[0]}.service"
    systemd-analyze verify "$etc/units/observer@${ports[0]}.service" "$etc/units/observer-cleanup.service" \
      "$etc/units/observer-cleanup.timer" "$etc/units/observer-webhooks.service" "$etc/units/observer-webhooks.timer" \
      || die "systemd-analyze verify failed on the units"
    rm -f "$etc/units/observer@${ports[0]}.service"
  fi
  say "No systemd: run 'manage.py cleanup' every 15 minutes yourself (cron), as observer-cleanup.timer would"
  say "  (webhooks are delivered by the running servers; 'manage.py deliver_webhooks' each minute delivers without them)"
  # The unit's ExecStartPre: the container backends' host setup.
  if [[ "$backend" == podman || "$backend" == docker ]]; then
    sh "$prefix/deploy/$backend/setup.sh" "$root/var/lib/observer/podman-rootfs"
  fi
fi

exec_start() {  # ExecStart of observer@.service for instance $1
  sed -n 's/^ExecStart=//p' "$etc/units/observer@.service" 2>/dev/null | sed "s/%i/$1/g" \
    || true
}
[[ $systemd -eq 1 ]] || [[ -f "$etc/units/observer@.service" ]] || die "missing $etc/units/observer@.service"

instance_running() {
  if (( systemd )); then systemctl is-active -q "observer@$1"
  else [[ -f "$run/observer@$1.pid" ]] && kill -0 "$(cat "$run/observer@$1.pid")" 2>/dev/null
  fi
}
instance_start() {
  if (( systemd )); then systemctl enable -q "observer@$1" && systemctl start "observer@$1"; return; fi
  local command metrics="$run/metrics"
  command=$(exec_start "$1")
  install -d -o "$user" "$metrics" "$run/sandbox-$1"
  # As the unit: the env file, PROMETHEUS_MULTIPROC_DIR, the user; a private sandbox work root
  # stands in for PrivateTmp=. setsid: the instance outlives this script.
  runuser -u "$service_user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME="$prefix" \
    PROMETHEUS_MULTIPROC_DIR="$metrics" \
    setsid bash -c 'set -a; . "$0"; set +a; export SANDBOX_WORK_ROOT="$1"; cd "$2"; echo $$ > "$3"; exec $4' \
    "$env_file" "$run/sandbox-$1" "$prefix" "$run/observer@$1.pid" "$command" \
    >>"$logs/observer@$1.log" 2>&1 < /dev/null &
  sleep 0.2
}
instance_stop() {
  if (( systemd )); then systemctl stop "observer@$1"; return; fi
  local pid
  [[ -f "$run/observer@$1.pid" ]] || return 0
  pid=$(cat "$run/observer@$1.pid")
  if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done  # TimeoutStopSec=20
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$run/observer@$1.pid"
}
wait_healthy() {
  local status
  for _ in $(seq 1 120); do
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $domain" "http://127.0.0.1:$1/health" || true)
    [[ "$status" == 200 ]] && { say "observer@$1 answers /health"; return 0; }
    sleep 0.5
  done
  tail -n 40 "$logs/observer@$1.log" 2>/dev/null >&2 || true
  die "observer@$1 did not answer /health within 60 s (journalctl -u observer@$1, or $logs/observer@$1.log)"
}

for port in "${ports[@]}"; do
  if ! instance_running "$port"; then
    say "Starting observer@$port"
    instance_start "$port"
    wait_healthy "$port"
  elif (( upgrade || code_changed )); then
    # Rolling restart: one at a time, the next only once this one answers; live classes
    # reconnect to the others meanwhile (nginx tries the next upstream).
    say "Restarting observer@$port"
    instance_stop "$port"
    instance_start "$port"
    wait_healthy "$port"
  fi
done
# Instances beyond --instances (a smaller number than before) stop once nginx no longer lists them.
reload_nginx "$nginx_pid"
for pidfile in "$run"/observer@*.pid; do
  [[ -e "$pidfile" ]] || continue
  port=${pidfile##*@}; port=${port%.pid}
  [[ " ${ports[*]} " == *" $port "* ]] || { say "Stopping observer@$port (beyond --instances)"; instance_stop "$port"; }
done
if (( systemd )); then
  for unit in $(systemctl list-units --plain --no-legend 'observer@*.service' | awk '{print $1}'); do
    port=${unit#observer@}; port=${port%.service}
    [[ " ${ports[*]} " == *" $port "* ]] || { systemctl disable -q --now "$unit"; say "Stopped $unit"; }
  done
fi

# --- Let's Encrypt (public name and --email) ------------------------------------------------
if (( public_domain )) && [[ "$cert" == "$tls/fullchain.pem" ]]; then
  say "Asking Let's Encrypt for a certificate for $domain"
  if certbot certonly --webroot -w "$webroot" -d "$domain" --email "$email" --agree-tos -n \
       --deploy-hook "nginx -s reload"; then
    render_site "/etc/letsencrypt/live/$domain/fullchain.pem" "/etc/letsencrypt/live/$domain/privkey.pem" > "$site"
    nginx "${nginx_args[@]}" -t -q && reload_nginx "$nginx_pid"
    cert=/etc/letsencrypt/live/$domain/fullchain.pem
  else
    loud "certbot failed (is $domain's DNS pointing here, port $http_port open?): keeping the self-signed certificate"
  fi
fi
if [[ "$cert" == "$tls/fullchain.pem" ]]; then
  loud "SELF-SIGNED CERTIFICATE for $domain ($cert): browsers will warn until you install a real one
(re-run with --domain <public name> --email <you>, or put your own in its place and reload nginx)."
fi

url="https://$domain"
[[ "$https_port" != 443 ]] && url="$url:$https_port"
say "Observer is running at $url (instances: ${ports[*]})"
cat <<EOF
  code:      $prefix ($(git -C "$prefix" rev-parse --short HEAD))
  settings:  $env_file
  nginx:     $site
  logs:      $( (( systemd )) && echo "journalctl -u 'observer@*'" || echo "$logs/observer@<port>.log"), $logs/observer.access.log
  First admin (sees the operator dashboard):
    cd $prefix && runuser -u $user -- bash -c 'set -a; . $env_file; set +a; .venv/bin/python manage.py createsuperuser'
  Upgrade later with: $prefix/deploy/install.sh --upgrade$( [[ -n "$root" ]] && echo " --root $root") (same flags as now)
EOF

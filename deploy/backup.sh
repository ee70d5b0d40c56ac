#!/usr/bin/env bash
# Backups of an Observer deployment: the database (pg_dump's custom format, which
# pg_restore reads selectively and in parallel) and the env file (the secret key signs
# sessions and tokens; the database password is in it), the newest --keep of each kept.
#
#   deploy/backup.sh [--env-file /etc/observer/observer.env] [--dir /var/backups/observer] [--keep 14]
#   deploy/backup.sh --restore DUMP [--database-url URL] [--env-file ...]
#
# Backing up: writes DIR/observer-<UTC time>.dump and DIR/observer-<UTC time>.env (both
# 0600), then deletes all but the newest KEEP pairs. Run it daily from cron or a systemd
# timer; copy DIR off the machine (a backup on the same disk dies with it).
# Restoring: into an EMPTY database (the one in --database-url, default the env file's
# DATABASE_URL; the script refuses a database that has tables), then the caller runs
# `manage.py migrate` (a newer code's migrations apply on top) and starts the service.
# Put the backup's env file back as /etc/observer/observer.env first when the machine is new.
set -euo pipefail

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[1;31mbackup.sh: %s\033[0m\n' "$*" >&2; exit 1; }

env_file=/etc/observer/observer.env dir=/var/backups/observer keep=14 restore="" database_url=""
while (( $# )); do
  case "$1" in
    --env-file) env_file=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --restore) restore=$2; shift 2 ;;
    --database-url) database_url=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown flag $1 (see --help)" ;;
  esac
done
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || die "--keep must be a positive number"

if [[ -z "$database_url" ]]; then
  [[ -r "$env_file" ]] || die "cannot read $env_file (--env-file)"
  database_url=$(sed -n 's/^DATABASE_URL=//p' "$env_file" | tail -n 1)
  database_url=${database_url#[\'\"]} database_url=${database_url%[\'\"]}
fi
[[ "$database_url" == postgres://* || "$database_url" == postgresql://* ]] \
  || die "DATABASE_URL is not a PostgreSQL URL (SQLite try-outs: copy the file)"
# libpq takes postgresql:// URLs (django-environ writes postgres://, which libpq accepts too).

if [[ -n "$restore" ]]; then
  [[ -r "$restore" ]] || die "cannot read $restore"
  tables=$(psql -qtA -v ON_ERROR_STOP=1 "$database_url" \
    -c "select count(*) from pg_tables where schemaname = 'public'")
  [[ "$tables" == 0 ]] || die "the database already has $tables tables: restore into an empty one"
  say "Restoring $restore"
  # --no-owner/--no-acl: the objects belong to whoever restores (the service's role), so a
  # dump from another machine, with another role name, restores the same way.
  pg_restore --no-owner --no-acl --exit-on-error -d "$database_url" "$restore"
  say "Restored. Next: manage.py migrate, then start the service (deploy/RUNBOOK.md, Backups)"
  exit 0
fi

install -d -m 0700 "$dir"
stamp=$(date -u +%Y%m%dT%H%M%S.%3NZ)
umask 077
say "Dumping the database to $dir/observer-$stamp.dump"
pg_dump -Fc --no-owner -f "$dir/observer-$stamp.dump.partial" "$database_url"
mv "$dir/observer-$stamp.dump.partial" "$dir/observer-$stamp.dump"
if [[ -r "$env_file" ]]; then
  cp "$env_file" "$dir/observer-$stamp.env"
fi
# Rotation: the newest KEEP dumps stay, with their env files.
mapfile -t dumps < <(find "$dir" -maxdepth 1 -name 'observer-*.dump' -printf '%f\n' | sort -r)
for old in "${dumps[@]:keep}"; do
  rm -f "$dir/$old" "$dir/${old%.dump}.env"
done
say "Backup done: $dir/observer-$stamp.dump ($(du -h "$dir/observer-$stamp.dump" | cut -f1)), keeping $keep"

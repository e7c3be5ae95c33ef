#!/usr/bin/env bash
# A throwaway PostgreSQL cluster (Debian's `postgresql` package) for the test suites.
#
#   scripts/postgres.sh start <dir> <port>   initdb in <dir>, start on 127.0.0.1:<port> (trust auth,
#                                            socket in <dir>), create databases "portcullis" and
#                                            "better_auth" (for scripts/postgres-interop.sh); prints
#                                            postgres://postgres@127.0.0.1:<port>/portcullis
#   scripts/postgres.sh stop <dir>           stop it (immediate mode)
#   scripts/postgres.sh run <command...>     start one in a temporary directory (port PG_PORT, default
#                                            a free one), run <command> with PORTCULLIS_TEST_POSTGRES_URL
#                                            set, stop it and remove it; exits with <command>'s status
#
# As root, the cluster belongs to the `postgres` user (PostgreSQL refuses to run as root); <dir> is
# handed to it. Installs nothing: .ci/run installs the package.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[[ -n "$bin" && -x "$bin/pg_ctl" ]] || die "PostgreSQL is not installed (apt-get install postgresql)"

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "${1:-}" in
  start)
    dir=${2:?dir}
    port=${3:?port}
    mkdir -p "$dir"
    [[ $(id -u) -ne 0 ]] || chown postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off" start >/dev/null \
      || { cat "$dir/server.log" >&2; die "PostgreSQL did not start on port $port"; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres portcullis
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres better_auth
    echo "postgres://postgres@127.0.0.1:$port/portcullis"
    ;;
  stop)
    dir=${2:?dir}
    [[ -d "$dir/data" ]] || exit 0
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    ;;
  run)
    shift
    [[ $# -gt 0 ]] || die "usage: $0 run <command...>"
    dir=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-pg.XXXXXX")
    chmod 755 "$dir"
    port=${PG_PORT:-$(node -e 'const s=require("node:net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}
    trap '"$0" stop "$dir"; rm -rf "$dir"' EXIT
    url=$("$0" start "$dir" "$port")
    set +e
    PORTCULLIS_TEST_POSTGRES_URL=$url "$@"
    status=$?
    set -e
    [[ $status -eq 0 ]] || tail -n 50 "$dir/server.log" >&2
    exit "$status"
    ;;
  *)
    die "usage: $0 start <dir> <port> | stop <dir> | run <command...>"
    ;;
esac

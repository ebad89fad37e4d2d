#!/usr/bin/env bats
# The seed's Dockerfile on a real Debian: RUN apt-get installs from Debian's mirror (the one
# place a test leaves 127.0.0.0/8, as apt does; with --network host until tug's own user-mode
# network gives RUN outbound access), then nginx serves from the built image on a published port.
# configs: tugtest root

load helpers
load registry_helpers

setup_file() {
  tug_setup_file
  registry_setup_file
  tar -C "$IMAGES_OCI" -cf "$TUG_TEST_BASE/layout.tar" .
  tug load -i "$TUG_TEST_BASE/layout.tar" >/dev/null
}

teardown_file() { tug_teardown_file; }

@test "the seed's Dockerfile: apt-get install in a RUN step, the nginx image it makes serves pages" {
  local d=$BATS_TEST_TMPDIR/seed
  mkdir -p "$d"
  cat >"$d/Dockerfile" <<'EOF'
# the Debian+nginx base of the fixtures stands for the seed's dockerfile/ubuntu
FROM nginx:latest
RUN apt-get update && apt-get install -y --no-install-recommends netcat-openbsd && rm -rf /var/lib/apt/lists/*
RUN echo "\ndaemon off;" >> /etc/nginx/nginx.conf
WORKDIR /etc/nginx
EXPOSE 80
ENTRYPOINT ["nginx"]
EOF
  capture tug build --network host -t seed/nginx:built "$d"
  if [ "$status" -ne 0 ] && grep -Eq 'Temporary failure resolving|Could not resolve|Failed to fetch|Unable to connect|Network is unreachable' <<<"$output$stderr"; then
    skip "Debian's mirror is unreachable from this machine: $(grep -Em1 'resolv|fetch|connect|unreachable' <<<"$output$stderr")"
  fi
  check_status 0
  assert_output_matches 'Setting up netcat-openbsd'
  run_tug run --rm --entrypoint sh seed/nginx:built -c 'command -v nc && tail -n 1 /etc/nginx/nginx.conf && pwd'
  assert_output $'/usr/bin/nc\ndaemon off;\n/etc/nginx'
  local port
  port=$(free_port)
  run_tug run -d --name seedweb -p "$port:80" seed/nginx:built
  local page
  page=$(http_get "$port" /) || fail "nginx from the built image does not answer on $port"
  [[ $page == *"Welcome to nginx!"* ]] || fail "unexpected page: $page"
  run_tug rm -f seedweb
}

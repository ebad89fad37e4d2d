#!/usr/bin/env bats
# Registries that need trust or credentials: TLS with a test CA (certs.d, --tls-verify=false,
# TUG_INSECURE_REGISTRIES), Basic auth (htpasswd) with tug login/logout and the files docker and
# podman users already have (config.json auths, credHelpers, credsStore, podman's auth.json),
# and Bearer tokens (token_server.py): anonymous vs logged in, and a registry that refuses
# every token (endless 401) failing fast.
# configs: tugtest root

load helpers
load registry_helpers

setup_file() {
  tug_setup_file
  registry_setup_file
  registry_start tls tls
  registry_start basic htpasswd
  registry_start basictls htpasswd tls
  registry_start tok token
  skopeo_push busybox "$tls_ADDR/bb/busybox:1" --preserve-digests --dest-cert-dir "$tls_DIR/certs.d/$tls_ADDR"
  local creds=$basic_USER:$basic_PASSWORD
  skopeo_push busybox "$basic_ADDR/bb/busybox:1" --preserve-digests --dest-creds "$creds"
  skopeo_push busybox "$basictls_ADDR/bb/busybox:1" --preserve-digests --dest-creds "$creds" \
    --dest-cert-dir "$basictls_DIR/certs.d/$basictls_ADDR"
  skopeo_push busybox "$tok_ADDR/public/bb:1" --preserve-digests --dest-creds "$creds"
  skopeo_push busybox "$tok_ADDR/private/bb:1" --preserve-digests --dest-creds "$creds"
  export USER_NAME=$basic_USER PASSWORD=$basic_PASSWORD
}

teardown_file() {
  registry_teardown_file
  tug_teardown_file
}

# Every test starts logged out everywhere, with its own home, config and runtime dirs.
setup() {
  export HOME=$BATS_TEST_TMPDIR/home XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
  export XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/xdg-run
  mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"
  token_mode normal
  fresh_store
}

token_mode() {
  curl -sf -o /dev/null "http://$tok_TOKEN_ADDR/_control?mode=$1" || fail "cannot set the token server's mode"
}

token_requests() {
  curl -sf "http://$tok_TOKEN_ADDR/_stats" | jq -r .requests
}

auth_b64() {
  printf '%s:%s' "$1" "$2" | base64 -w0
}

tug_auth_file() {
  echo "$XDG_CONFIG_HOME/tug/auth.json"
}

# The auth entry saved for HOST in FILE (default tug's), or "none".
saved_auth() {
  local f=${2:-$(tug_auth_file)}
  [ -f "$f" ] || {
    echo none
    return
  }
  jq -r --arg h "$1" '.auths[$h].auth // "none"' "$f"
}

@test "TLS: without the registry's CA the pull fails on the certificate, and changes nothing" {
  local before
  before=$(store_snapshot)
  run_tug -125 pull "$tls_ADDR/bb/busybox:1"
  assert_one_line_error
  [[ ${stderr_lines[0],,} =~ certificate|x509|tls|ssl ]] || fail "the error does not say it is about the certificate"
  assert_store_unchanged "$before"
}

@test "TLS: the CA in \$XDG_CONFIG_HOME/tug/certs.d/HOST:PORT/ca.crt is trusted, for pull and push" {
  mkdir -p "$XDG_CONFIG_HOME/tug/certs.d/$tls_ADDR"
  cp "$tls_CA" "$XDG_CONFIG_HOME/tug/certs.d/$tls_ADDR/ca.crt"
  run_tug pull "$tls_ADDR/bb/busybox:1"
  assert_line "Digest: $IMAGE_BUSYBOX_DIGEST"
  run_tug run --rm "$tls_ADDR/bb/busybox:1" echo over-tls
  assert_output over-tls
  run_tug tag "$tls_ADDR/bb/busybox:1" "$tls_ADDR/pushed/busybox:2"
  run_tug push -q "$tls_ADDR/pushed/busybox:2"
  assert_equal "$(manifest_digest "$tls_ADDR/pushed/busybox:2" --cert-dir "$tls_DIR/certs.d/$tls_ADDR" --tls-verify=true)" \
    "$IMAGE_BUSYBOX_DIGEST" "digest pushed over TLS"
}

@test "TLS: --tls-verify=false and TUG_INSECURE_REGISTRIES skip the verification" {
  run_tug pull -q --tls-verify=false "$tls_ADDR/bb/busybox:1"
  assert_output "$tls_ADDR/bb/busybox:1"
  fresh_store
  export TUG_INSECURE_REGISTRIES=$tls_ADDR
  run_tug pull -q "$tls_ADDR/bb/busybox:1"
  assert_output "$tls_ADDR/bb/busybox:1"
}

@test "htpasswd: without credentials the pull is unauthorized" {
  local before
  before=$(store_snapshot)
  run_tug -125 pull "$basic_ADDR/bb/busybox:1"
  assert_one_line_error unauthorized
  assert_store_unchanged "$before"
}

@test "htpasswd: login with a wrong password fails and saves nothing" {
  run_tug_fails login -u "$USER_NAME" -p wrong-password "$basic_ADDR"
  # docker's warning about -p comes first, then the error.
  assert_equal "${stderr_lines[0]}" "WARNING! Using --password via the CLI is insecure. Use --password-stdin." "first stderr line"
  [[ ${stderr_lines[1]} == "tug: "*unauthorized* ]] || { show_last; fail "second line is not the unauthorized error"; }
  run_tug_fails login -u "$USER_NAME" --password-stdin "$basic_ADDR" <<<wrong-password
  assert_error_first_line unauthorized
  assert_equal "$(saved_auth "$basic_ADDR")" none "saved credentials"
  run_tug -125 pull "$basic_ADDR/bb/busybox:1"
}

@test "htpasswd: login, pull, push, logout" {
  run_tug login -u "$USER_NAME" -p "$PASSWORD" "$basic_ADDR"
  assert_line "Login Succeeded"
  local f
  f=$(tug_auth_file)
  assert_equal "$(stat -c %a "$f")" 600 "mode of $f"
  assert_equal "$(saved_auth "$basic_ADDR")" "$(auth_b64 "$USER_NAME" "$PASSWORD")" "saved auth"

  run_tug pull -q "$basic_ADDR/bb/busybox:1"
  run_tug run --rm "$basic_ADDR/bb/busybox:1" echo logged-in
  assert_output logged-in
  run_tug tag "$basic_ADDR/bb/busybox:1" "$basic_ADDR/mine/busybox:1"
  run_tug push "$basic_ADDR/mine/busybox:1"
  assert_equal "${lines[-1]}" "1: digest: $IMAGE_BUSYBOX_DIGEST size: $(manifest_size "$basic_ADDR/bb/busybox:1" --creds "$USER_NAME:$PASSWORD")" "last push line"

  run_tug logout "$basic_ADDR"
  assert_output "Removing login credentials for $basic_ADDR"
  assert_equal "$(saved_auth "$basic_ADDR")" none "credentials after logout"
  fresh_store
  run_tug -125 pull "$basic_ADDR/bb/busybox:1"
  assert_one_line_error unauthorized
}

@test "login --password-stdin; TUG_AUTH_FILE moves the file; other entries are kept" {
  export TUG_AUTH_FILE=$BATS_TEST_TMPDIR/elsewhere/auth.json
  mkdir -p "${TUG_AUTH_FILE%/*}"
  echo '{"auths":{"registry.example:5000":{"auth":"a2VlcDptZQ=="}}}' >"$TUG_AUTH_FILE"
  chmod 600 "$TUG_AUTH_FILE"
  capture tug login -u "$USER_NAME" --password-stdin "$basic_ADDR" <<<"$PASSWORD"
  check_status 0
  assert_line "Login Succeeded"
  assert_equal "$(saved_auth "$basic_ADDR" "$TUG_AUTH_FILE")" "$(auth_b64 "$USER_NAME" "$PASSWORD")" "saved auth"
  assert_equal "$(saved_auth registry.example:5000 "$TUG_AUTH_FILE")" "a2VlcDptZQ==" "the other entry"
  assert_equal "$(stat -c %a "$TUG_AUTH_FILE")" 600 "mode"
  [ ! -e "$(tug_auth_file)" ] || fail "$(tug_auth_file) was written although TUG_AUTH_FILE is set"
  run_tug pull -q "$basic_ADDR/bb/busybox:1"
}

@test "credentials from docker's config.json (auths), also under \$DOCKER_CONFIG" {
  mkdir -p "$HOME/.docker"
  printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$basic_ADDR" "$(auth_b64 "$USER_NAME" "$PASSWORD")" >"$HOME/.docker/config.json"
  run_tug pull -q "$basic_ADDR/bb/busybox:1"
  assert_output "$basic_ADDR/bb/busybox:1"

  fresh_store
  mv "$HOME/.docker" "$BATS_TEST_TMPDIR/dockercfg"
  export DOCKER_CONFIG=$BATS_TEST_TMPDIR/dockercfg
  run_tug pull -q "$basic_ADDR/bb/busybox:1"
  assert_output "$basic_ADDR/bb/busybox:1"
}

# A docker-credential-tugtest helper on PATH that knows one registry and logs its calls.
make_cred_helper() {
  mkdir -p "$BATS_TEST_TMPDIR/bin"
  cat >"$BATS_TEST_TMPDIR/bin/docker-credential-tugtest" <<EOF
#!/bin/sh
read -r server
echo "\$1 \$server" >>"$BATS_TEST_TMPDIR/helper.log"
case "\$1:\$server" in
  get:*$basic_ADDR*)
    printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' "\$server" "$USER_NAME" "$PASSWORD" ;;
  get:*)
    echo "credentials not found in native keychain"
    exit 1 ;;
  *) exit 1 ;;
esac
EOF
  chmod 755 "$BATS_TEST_TMPDIR/bin/docker-credential-tugtest"
  export PATH=$BATS_TEST_TMPDIR/bin:$PATH
}

@test "docker's credHelpers and credsStore: tug asks docker-credential-<name>" {
  make_cred_helper
  mkdir -p "$HOME/.docker"
  printf '{"credHelpers":{"%s":"tugtest"}}\n' "$basic_ADDR" >"$HOME/.docker/config.json"
  run_tug pull -q "$basic_ADDR/bb/busybox:1"
  grep -q "^get .*$basic_ADDR" "$BATS_TEST_TMPDIR/helper.log" || fail "the helper was not asked: $(cat "$BATS_TEST_TMPDIR/helper.log" 2>/dev/null)"

  fresh_store
  rm -f "$BATS_TEST_TMPDIR/helper.log"
  echo '{"credsStore":"tugtest"}' >"$HOME/.docker/config.json"
  run_tug pull -q "$basic_ADDR/bb/busybox:1"
  grep -q "^get .*$basic_ADDR" "$BATS_TEST_TMPDIR/helper.log" || fail "the credsStore helper was not asked"
  run_tug run --rm "$basic_ADDR/bb/busybox:1" echo via-helper
  assert_output via-helper
}

@test "podman's auth.json: REGISTRY_AUTH_FILE, and \$XDG_RUNTIME_DIR/containers/auth.json" {
  mkdir -p "$XDG_RUNTIME_DIR/containers"
  printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$basic_ADDR" "$(auth_b64 "$USER_NAME" "$PASSWORD")" \
    >"$XDG_RUNTIME_DIR/containers/auth.json"
  run_tug pull -q "$basic_ADDR/bb/busybox:1"

  fresh_store
  mv "$XDG_RUNTIME_DIR/containers/auth.json" "$BATS_TEST_TMPDIR/podman-auth.json"
  export REGISTRY_AUTH_FILE=$BATS_TEST_TMPDIR/podman-auth.json
  run_tug pull -q "$basic_ADDR/bb/busybox:1"
  assert_output "$basic_ADDR/bb/busybox:1"
}

@test "htpasswd over TLS: login and pull with the CA in certs.d" {
  mkdir -p "$XDG_CONFIG_HOME/tug/certs.d/$basictls_ADDR"
  cp "$basictls_CA" "$XDG_CONFIG_HOME/tug/certs.d/$basictls_ADDR/ca.crt"
  run_tug login -u "$USER_NAME" -p "$PASSWORD" "$basictls_ADDR"
  assert_line "Login Succeeded"
  run_tug run --rm "$basictls_ADDR/bb/busybox:1" echo tls-and-basic
  assert_output tls-and-basic
}

@test "token: anonymous may pull public/ but not private/" {
  run_tug pull -q "$tok_ADDR/public/bb:1"
  assert_output "$tok_ADDR/public/bb:1"
  grep -q 'account=- scope=repository:public/bb:pull granted=public/bb:pull' "$tok_TOKEN_LOG" ||
    fail "no anonymous token for public/bb: $(tail -n 5 "$tok_TOKEN_LOG")"
  local before
  before=$(store_snapshot)
  run_tug -125 pull "$tok_ADDR/private/bb:1"
  assert_one_line_error
  [[ ${stderr_lines[0]} =~ unauthorized|denied ]] || fail "the error does not say access was refused"
  assert_store_unchanged "$before"
}

@test "token: logged in, private pull and push" {
  run_tug login -u "$USER_NAME" -p "$PASSWORD" "$tok_ADDR"
  assert_line "Login Succeeded"
  run_tug pull "$tok_ADDR/private/bb:1"
  assert_line "Digest: $IMAGE_BUSYBOX_DIGEST"
  grep -q "account=$USER_NAME scope=repository:private/bb:pull granted=private/bb:pull" "$tok_TOKEN_LOG" ||
    fail "no token for $USER_NAME: $(tail -n 5 "$tok_TOKEN_LOG")"
  run_tug tag "$tok_ADDR/private/bb:1" "$tok_ADDR/private/pushed:1"
  run_tug push -q "$tok_ADDR/private/pushed:1"
  assert_equal "$(manifest_digest "$tok_ADDR/private/pushed:1" --creds "$USER_NAME:$PASSWORD")" \
    "$IMAGE_BUSYBOX_DIGEST" "pushed digest"
}

@test "token: a wrong password fails login and saves nothing" {
  run_tug_fails login -u "$USER_NAME" --password-stdin "$tok_ADDR" <<<wrong-password
  assert_error_first_line unauthorized
  assert_equal "$(saved_auth "$tok_ADDR")" none "saved credentials"
}

@test "token: a registry that refuses every token (endless 401) fails fast, without looping" {
  run_tug login -u "$USER_NAME" -p "$PASSWORD" "$tok_ADDR"
  local mode before n0 n
  before=$(store_snapshot)
  for mode in no-access bad-signature; do
    token_mode "$mode"
    n0=$(token_requests)
    tug_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" pull "$tok_ADDR/private/bb:1"
    wait_bg 60
    TUG_BG_ARGS="pull $tok_ADDR/private/bb:1 (token server: $mode)" bg_result "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"
    check_status 125
    assert_one_line_error
    [[ ${stderr_lines[0]} =~ unauthorized|denied ]] || fail "$mode: the error does not say access was refused"
    n=$(($(token_requests) - n0))
    ((n >= 1 && n <= 10)) || fail "$mode: $n token requests (a client that loops asks without end)"
  done
  assert_store_unchanged "$before"
}

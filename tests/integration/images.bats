#!/usr/bin/env bats
# Image store commands: import (file, stdin, --change), images, tag, image inspect, rmi.

load helpers

setup_file() { tug_setup_file; }
teardown_file() { tug_teardown_file; }

@test "import prints the image ID and the image is listed" {
  run_tug images --no-trunc -q
  assert_line "$BUSYBOX_ID"
  run_tug image inspect --format '{{.Id}}' busybox:test
  assert_output "$BUSYBOX_ID"
}

@test "import from stdin with -" {
  capture tug import - stdin:test <"$BUSYBOX_TAR"
  check_status 0
  assert_output_matches '^sha256:[0-9a-f]{64}$'
  # Same content, same config: same layer as the file import.
  run_tug image inspect --format '{{json .RootFS.Layers}}' busybox:test
  local layers=$output
  run_tug image inspect --format '{{json .RootFS.Layers}}' stdin:test
  assert_output "$layers"
  run_tug run --rm stdin:test echo from-stdin-image
  assert_output from-stdin-image
}

@test "import without a reference gives an untagged image" {
  run_tug import --change 'LABEL untagged=1' "$BUSYBOX_TAR"
  assert_output_matches '^sha256:[0-9a-f]{64}$'
  local id=$output
  run_tug images --no-trunc --format '{{.ID}} {{.Repository}} {{.Tag}}'
  assert_line "$id <none> <none>"
  run_tug run --rm "$id" echo by-id
  assert_output by-id
}

@test "images: docker's columns" {
  run_tug images
  [[ ${lines[0]} =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]] ||
    fail "header is '${lines[0]}'"
  local short=${BUSYBOX_ID#sha256:}
  short=${short:0:12}
  local row
  row=$(printf '%s\n' "${lines[@]}" | grep -E "^busybox +test ") || fail "no busybox:test row: $output"
  [[ $row =~ ^busybox\ +test\ +$short\ +.+\ ago\ +[0-9.]+[kMG]?B$ ]] ||
    fail "row is '$row' (expected repo, tag, $short, '... ago', size)"
}

@test "images -q and --no-trunc" {
  run_tug images -q
  local short=${BUSYBOX_ID#sha256:}
  assert_line "${short:0:12}"
  local l
  for l in "${lines[@]}"; do
    [[ $l =~ ^[0-9a-f]{12}$ ]] || fail "images -q printed '$l'"
  done
  run_tug images --no-trunc
  assert_output_contains "$BUSYBOX_ID"
}

@test "images --format" {
  run_tug images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  local short=${BUSYBOX_ID#sha256:}
  assert_line "busybox:test ${short:0:12}"
  run_tug images --format 'table {{.Repository}}\t{{.Tag}}'
  [[ ${lines[0]} =~ ^REPOSITORY\ +TAG$ ]] || fail "table header is '${lines[0]}'"
  printf '%s\n' "${lines[@]}" | grep -Eq '^busybox +test$' || fail "no busybox row: $output"
}

@test "image inspect: docker's JSON shape" {
  run_tug image inspect busybox:test
  assert_equal "$(json_get 'type(d).__name__')" list "top level"
  assert_equal "$(json_get 'len(d)')" 1 "array length"
  assert_equal "$(json_get 'd[0]["Id"]')" "$BUSYBOX_ID" Id
  assert_equal "$(json_get 'd[0]["RepoTags"]')" '["busybox:test"]' RepoTags
  assert_equal "$(json_get 'd[0]["RootFS"]["Type"]')" layers RootFS.Type
  assert_equal "$(json_get 'len(d[0]["RootFS"]["Layers"])')" 1 "number of layers"
  [[ $(json_get 'd[0]["RootFS"]["Layers"][0]') =~ ^sha256:[0-9a-f]{64}$ ]] || fail "bad layer digest"
  [[ $(json_get 'd[0]["Created"]') =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)$ ]] ||
    fail "Created is not RFC 3339: $(json_get 'd[0]["Created"]')"
  # Size is the unpacked rootfs: at least busybox itself, not wildly more.
  local size bb
  size=$(json_get 'd[0]["Size"]')
  bb=$(stat -c %s /bin/busybox)
  ((size >= bb && size < bb + 2000000)) || fail "Size $size for a rootfs with a $bb-byte busybox"
  json_get 'd[0]["Config"]' >/dev/null || fail "no Config"
}

@test "import --change sets the image config" {
  import_busybox conf:test \
    --change 'CMD ["echo","hello"]' \
    --change 'ENTRYPOINT ["/bin/env"]' \
    --change 'ENV FOO=bar' \
    --change 'WORKDIR /srv/app' \
    --change 'EXPOSE 8080' \
    --change 'USER app' \
    --change 'LABEL org.example.k=v'
  run_tug image inspect conf:test
  assert_equal "$(json_get 'd[0]["Config"]["Cmd"]')" '["echo","hello"]' Cmd
  assert_equal "$(json_get 'd[0]["Config"]["Entrypoint"]')" '["/bin/env"]' Entrypoint
  json_get 'd[0]["Config"]["Env"]' | grep -q '"FOO=bar"' || fail "Env: $(json_get 'd[0]["Config"]["Env"]')"
  assert_equal "$(json_get 'd[0]["Config"]["WorkingDir"]')" /srv/app WorkingDir
  assert_equal "$(json_get 'd[0]["Config"]["ExposedPorts"]')" '{"8080/tcp":{}}' ExposedPorts
  assert_equal "$(json_get 'd[0]["Config"]["User"]')" app User
  assert_equal "$(json_get 'd[0]["Config"]["Labels"]')" '{"org.example.k":"v"}' Labels
}

@test "import --change with shell-form CMD" {
  import_busybox shellcmd:test --change 'CMD echo shell form'
  run_tug image inspect --format '{{json .Config.Cmd}}' shellcmd:test
  assert_output '["/bin/sh","-c","echo shell form"]'
  run_tug run --rm shellcmd:test
  assert_output "shell form"
}

@test "image inspect --format and -f" {
  run_tug image inspect --format '{{.Id}}' busybox:test
  assert_output "$BUSYBOX_ID"
  run_tug image inspect -f '{{index .RepoTags 0}}' busybox:test
  assert_output busybox:test
  run_tug image inspect -f '{{.RootFS.Type}}' "$BUSYBOX_ID"
  assert_output layers
}

@test "image inspect of an unknown image fails" {
  run_tug_fails image inspect no-such-image:nope
  assert_error_first_line no-such-image
}

@test "tag adds a name to the same image" {
  run_tug tag busybox:test mytag:v1
  assert_output ""
  run_tug image inspect --format '{{.Id}}' mytag:v1
  assert_output "$BUSYBOX_ID"
  run_tug image inspect --format '{{json .RepoTags}}' busybox:test
  assert_output_contains '"busybox:test"'
  assert_output_contains '"mytag:v1"'
  run_tug images --format '{{.Repository}}:{{.Tag}}'
  assert_line mytag:v1
  assert_line busybox:test
  run_tug run --rm mytag:v1 echo tagged
  assert_output tagged
}

@test "tag without a tag means :latest" {
  run_tug tag busybox:test plainname
  run_tug image inspect --format '{{.Id}}' plainname:latest
  assert_output "$BUSYBOX_ID"
  run_tug image inspect --format '{{.Id}}' plainname
  assert_output "$BUSYBOX_ID"
}

@test "tag of an unknown image fails" {
  run_tug_fails tag no-such-image:nope x:y
  assert_error_first_line no-such-image
  run_tug_fails image inspect x:y
}

@test "rmi of one tag keeps the image under its other tag" {
  run_tug tag busybox:test second:tag
  run_tug rmi second:tag
  assert_output_contains "Untagged: second:tag"
  run_tug_fails image inspect second:tag
  run_tug image inspect --format '{{.Id}}' busybox:test
  assert_output "$BUSYBOX_ID"
}

@test "rmi removes an image" {
  import_busybox gone:test --change 'LABEL gone=1'
  local id=$output
  run_tug rmi gone:test
  assert_output_contains "Untagged: gone:test"
  assert_output_contains "Deleted: $id"
  run_tug_fails image inspect gone:test
  run_tug images --no-trunc -q
  refute_line "$id"
  run_tug -125 run --rm gone:test true
}

@test "rmi of an unknown image fails" {
  run_tug_fails rmi no-such-image:nope
  assert_error_first_line no-such-image
}

@test "rmi of an image used by a container is refused, rmi -f removes it" {
  import_busybox inuse:test --change 'LABEL inuse=1'
  local id=$output
  # Without --rm the exited container stays and holds its image.
  run_tug run --name holder inuse:test true
  run_tug_fails rmi inuse:test
  assert_error_first_line
  run_tug image inspect --format '{{.Id}}' inuse:test
  assert_output "$id"
  run_tug rmi -f inuse:test
  run_tug_fails image inspect inuse:test
  run_tug images --format '{{.Repository}}:{{.Tag}}'
  refute_line inuse:test
}

#!/usr/bin/env bats
# tug push to a local docker-registry, read back by skopeo and podman; cross-repository mounts,
# blobs the registry already has, digests kept from pull to push; and the other way round:
# images pushed by podman and buildah, pulled and run by tug.
# configs: tugtest root

load helpers
load registry_helpers

setup_file() {
  tug_setup_file
  registry_setup_file
  registry_start main http
  registry_start other http
  skopeo_push busybox "$main_ADDR/bb/busybox:1" --preserve-digests
  skopeo_push busybox-v2 "$main_ADDR/bb/v2:1" --preserve-digests
  export R=$main_ADDR R2=$other_ADDR
}

teardown_file() {
  registry_teardown_file
  tug_teardown_file
}

# The 12-hex id docker shows for a layer when pushing: its diff_id's (docker) or its blob
# digest's; either names that layer. Prints an extended regex matching both.
layer_id_re() {
  echo "($(short12 "$1")|$(short12 "$2"))"
}

# push_summary_re TAG: the last line of a push.
push_summary_re() {
  echo "^$1: digest: (sha256:[0-9a-f]{64}) size: ([0-9]+)\$"
}

@test "push an imported image: docker's lines, and skopeo reads exactly what was pushed" {
  run_tug image inspect --format '{{index .RootFS.Layers 0}}' busybox:test
  local diff=$output
  run_tug tag busybox:test "$R/mine/busybox:1"
  run_tug push "$R/mine/busybox:1"
  assert_equal "${lines[0]}" "The push refers to repository [$R/mine/busybox]" "first line"
  assert_equal "${#lines[@]}" 3 "number of lines (one layer)"
  local layer_line=${lines[1]}
  [[ ${lines[2]} =~ $(push_summary_re 1) ]] || fail "last line is '${lines[2]}'"
  local digest=${BASH_REMATCH[1]} size=${BASH_REMATCH[2]}

  assert_equal "$(manifest_digest "$R/mine/busybox:1")" "$digest" "digest of the manifest skopeo reads"
  assert_equal "$(manifest_size "$R/mine/busybox:1")" "$size" "size of the manifest"
  local blob
  blob=$(skopeo_raw "$R/mine/busybox:1" | jq -r '.layers[0].digest')
  [[ $layer_line =~ ^$(layer_id_re "$diff" "$blob"):\ Pushed$ ]] ||
    fail "layer line is '$layer_line' (expected the id of $diff or $blob, then ': Pushed')"

  # skopeo copies it (checking every blob's digest) and sees tug's config.
  run_cmd skopeo --insecure-policy copy -q --src-tls-verify=false "docker://$R/mine/busybox:1" "oci:$BATS_TEST_TMPDIR/copy:x"
  run_cmd skopeo --insecure-policy inspect --tls-verify=false --config "docker://$R/mine/busybox:1"
  assert_equal "$(json_get 'd["rootfs"]["diff_ids"]')" "[\"$diff\"]" "config diff_ids"
  assert_equal "$(json_get 'd["architecture"]')" "$IMAGE_ARCH" "config architecture"
  assert_equal "$(json_get 'd["os"]')" linux "config os"
}

@test "podman pulls what tug pushed, and runs it when this host lets it" {
  has_full_mapping || skip "podman needs subordinate ids for busybox's uid 1000 files"
  import_busybox pm-src:1 --change 'CMD ["/bin/echo","from-tug-image"]'
  run_tug tag pm-src:1 "$R/mine/forpodman:1"
  run_tug push -q "$R/mine/forpodman:1"
  run_cmd podman_cmd pull -q --tls-verify=false "$R/mine/forpodman:1"
  run_cmd podman_cmd image inspect --format '{{.Architecture}} {{json .Config.Cmd}}' "$R/mine/forpodman:1"
  assert_output "$IMAGE_ARCH [\"/bin/echo\",\"from-tug-image\"]"
  # The content, file by file: podman unpacked tug's layer.
  run_cmd podman_cmd create --network none "$R/mine/forpodman:1"
  local ctr=$output
  podman_cmd export "$ctr" | tar --numeric-owner -tvf - >"$BATS_TEST_TMPDIR/listing" || fail "podman export failed"
  grep -Eq '^-rwxr-xr-x .* bin/busybox$' "$BATS_TEST_TMPDIR/listing" || fail "no bin/busybox in podman's container"
  grep -Eq '^d.* 1000/1000 .* home/app/?$' "$BATS_TEST_TMPDIR/listing" || fail "home/app is not 1000:1000: $(grep home/app "$BATS_TEST_TMPDIR/listing")"
  podman_cmd rm "$ctr" >/dev/null
  if podman_can_run; then
    run_cmd podman_run --rm --network none "$R/mine/forpodman:1"
    assert_output from-tug-image
  fi
}

@test "the CI flow: tug build, push; podman and a fresh tug pull it and run it" {
  local d=$BATS_TEST_TMPDIR/ctx
  mkdir -p "$d" && echo "built by tug" >"$d/msg"
  # The base comes from the registry, as in a CI job.
  run_tug tag busybox:test "$R/mine/cibase:1"
  run_tug push -q "$R/mine/cibase:1"
  run_tug rmi "$R/mine/cibase:1"
  run_tug pull -q "$R/mine/cibase:1"
  printf 'FROM %s\nCOPY msg /msg\nRUN echo ran >> /msg\nCMD ["cat", "/msg"]\n' "$R/mine/cibase:1" >"$d/Dockerfile"
  run_tug build -q -t "$R/mine/built:1" "$d"
  local id=$output
  # Into a new repository: the base layer is mounted from the base's, the two new ones pushed.
  run_tug push "$R/mine/built:1"
  assert_equal "$(grep -cE '^[0-9a-f]{12}: Mounted from mine/cibase$' <<<"$output")" 1 "layers mounted"
  assert_equal "$(grep -cE '^[0-9a-f]{12}: Pushed$' <<<"$output")" 2 "layers pushed"
  run_cmd podman_cmd pull -q --tls-verify=false "$R/mine/built:1"
  run_cmd podman_cmd image inspect --format '{{json .Config.Cmd}} {{len .RootFS.Layers}}' "$R/mine/built:1"
  assert_output '["cat","/msg"] 3'
  if podman_can_run; then
    run_cmd podman_run --rm --network none "$R/mine/built:1"
    assert_output $'built by tug\nran'
  fi
  # A store that never saw the build pulls the same image ID and runs it.
  local other=$TUG_TEST_BASE/other-store  # removed with the base dir (files of subordinate ids)
  run_cmd "$TUG" --root "$other" --runroot "$other-run" pull -q "$R/mine/built:1"
  run_cmd "$TUG" --root "$other" --runroot "$other-run" image inspect -f '{{.Id}}' "$R/mine/built:1"
  assert_output "$id"
  run_cmd "$TUG" --root "$other" --runroot "$other-run" run --rm "$R/mine/built:1"
  assert_output $'built by tug\nran'
}

@test "push -q prints only the reference" {
  run_tug tag busybox:test "$R/mine/quiet:1"
  run_tug push -q "$R/mine/quiet:1"
  assert_output "$R/mine/quiet:1"
  skopeo_raw "$R/mine/quiet:1" >/dev/null || fail "not in the registry"
}

@test "pushing again: every layer already exists, nothing is uploaded" {
  run_tug tag busybox:test "$R/mine/again:1"
  run_tug push -q "$R/mine/again:1"
  local first
  first=$(manifest_digest "$R/mine/again:1")
  registry_settle main
  local mark
  mark=$(log_mark "$main_LOG")
  run_tug push "$R/mine/again:1"
  [[ ${lines[1]} =~ ^[0-9a-f]{12}:\ Layer\ already\ exists$ ]] || fail "layer line is '${lines[1]}'"
  [[ ${lines[-1]} =~ $(push_summary_re 1) ]] || fail "last line is '${lines[-1]}'"
  assert_equal "${BASH_REMATCH[1]}" "$first" "digest of the second push"
  registry_settle main
  assert_equal "$(log_since "$main_LOG" "$mark" | grep -cE '"(PATCH|POST) /v2/[^ ]*/blobs/uploads' || true)" 0 "blob uploads"
}

@test "pulled and pushed unchanged to another repository: same digest, layers mounted" {
  fresh_store
  run_tug pull -q "$R/bb/busybox:1"
  run_tug tag "$R/bb/busybox:1" "$R/copy/busybox:1"
  registry_settle main
  local mark
  mark=$(log_mark "$main_LOG")
  run_tug push "$R/copy/busybox:1"
  assert_equal "${lines[0]}" "The push refers to repository [$R/copy/busybox]" "first line"
  local diff
  diff=$(tug image inspect --format '{{index .RootFS.Layers 0}}' "$R/bb/busybox:1") || fail "inspect failed"
  [[ ${lines[1]} =~ ^$(layer_id_re "$diff" "$IMAGE_BUSYBOX_LAYERS"):\ Mounted\ from\ bb/busybox$ ]] ||
    fail "layer line is '${lines[1]}'"
  [[ ${lines[-1]} =~ $(push_summary_re 1) ]] || fail "last line is '${lines[-1]}'"
  assert_equal "${BASH_REMATCH[1]}" "$IMAGE_BUSYBOX_DIGEST" "pushed digest"
  assert_equal "$(manifest_digest "$R/copy/busybox:1")" "$IMAGE_BUSYBOX_DIGEST" "digest in the registry"
  registry_settle main
  log_since "$main_LOG" "$mark" | grep -Eq '"POST /v2/copy/busybox/blobs/uploads/\?[^ ]*mount=sha256' ||
    fail "no mount request: $(log_since "$main_LOG" "$mark")"
  assert_equal "$(log_since "$main_LOG" "$mark" | grep -c '"PATCH ' || true)" 0 "blob uploads (PATCH)"
}

@test "a two-layer image pulled from one registry and pushed to another keeps its digest" {
  fresh_store
  run_tug pull -q "$R/bb/v2:1"
  run_tug tag "$R/bb/v2:1" "$R2/elsewhere/v2:7"
  run_tug push "$R2/elsewhere/v2:7"
  assert_equal "${lines[0]}" "The push refers to repository [$R2/elsewhere/v2]" "first line"
  assert_equal "$(printf '%s\n' "${lines[@]}" | grep -cE '^[0-9a-f]{12}: Pushed$')" 2 "layers pushed"
  assert_equal "${lines[-1]}" "7: digest: $IMAGE_BUSYBOX_V2_DIGEST size: $(manifest_size "$R/bb/v2:1")" "last line"
  assert_equal "$(manifest_digest "$R2/elsewhere/v2:7")" "$IMAGE_BUSYBOX_V2_DIGEST" "digest in the other registry"
  # And it comes back whole.
  fresh_store
  run_tug run --rm "$R2/elsewhere/v2:7" cat /etc/tug-version
  assert_output 2
}

@test "push of an image that does not exist locally fails" {
  run_tug -125 push "$R/mine/nothing-here:1"
  assert_one_line_error "$R/mine/nothing-here"
  if skopeo_raw "$R/mine/nothing-here:1" >/dev/null 2>&1; then
    fail "the registry has $R/mine/nothing-here:1"
  fi
}

@test "images pushed by podman and buildah are pulled and run by tug" {
  has_full_mapping || skip "podman and buildah need subordinate ids for busybox's files"
  run_cmd podman_cmd import -q --change 'CMD ["sh"]' "$BUSYBOX_TAR" localhost/pm:1
  run_cmd podman_cmd push -q --tls-verify=false localhost/pm:1 "docker://$R/podman/bb:1"
  local c
  c=$(buildah_cmd from -q --tls-verify=false "$R/podman/bb:1") || fail "buildah from failed"
  run_cmd buildah_cmd config --label made-by=buildah --env BUILT_BY=buildah "$c"
  run_cmd buildah_cmd commit -q "$c" localhost/bh:1
  run_cmd buildah_cmd push -q --tls-verify=false localhost/bh:1 "docker://$R/buildah/bb:1"

  fresh_store
  run_tug pull "$R/podman/bb:1"
  assert_line "$(manifest_digest "$R/podman/bb:1" | sed 's/^/Digest: /')"
  # podman's image has no PATH in its config: absolute paths.
  run_tug run --rm "$R/podman/bb:1" /bin/sh -c 'echo pushed-by-podman; /bin/stat -c %u /home/app'
  assert_output "pushed-by-podman
1000"
  run_tug pull -q "$R/buildah/bb:1"
  run_tug image inspect --format '{{index .Config.Labels "made-by"}} {{len .RootFS.Layers}}' "$R/buildah/bb:1"
  assert_output 'buildah 2'
  run_tug run --rm "$R/buildah/bb:1" /bin/sh -c 'echo $BUILT_BY'
  assert_output buildah
}

#!/usr/bin/env bats
# tug pull against a local docker-registry: docker's output lines, tags and digests, implicit pulls
# in run/create and --pull, -q, --platform from an index, zstd/gzip/uncompressed layers, the
# Debian+nginx image, layers shared between images, and re-pulls that fetch nothing.
# configs: tugtest root

load helpers
load registry_helpers

setup_file() {
  tug_setup_file
  registry_setup_file
  registry_start main http
  local r=$main_ADDR
  # zstd first: skopeo reuses a blob the registry already has instead of recompressing it.
  skopeo_push busybox "$r/bb/zstd:1" --dest-compress-format zstd
  skopeo_push busybox "$r/bb/busybox:1.0" --preserve-digests
  skopeo_push busybox "$r/bb/busybox:latest" --preserve-digests
  skopeo_push busybox-plain "$r/bb/plain:1" --preserve-digests
  skopeo_push busybox "$r/bb/v2s2:1" --format v2s2
  skopeo_push multi "$r/bb/multi:1" --all --preserve-digests
  skopeo_push nginx "$r/debian:nginx" --preserve-digests
  skopeo_push nginx-extra "$r/debian:nginx-extra" --preserve-digests
  # The fixtures are what the tests say they are.
  skopeo_raw "$r/bb/zstd:1" | grep -q '"application/vnd.oci.image.layer.v1.tar+zstd"' || {
    echo "# bb/zstd:1 has no zstd layer: $(skopeo_raw "$r/bb/zstd:1")" >&2
    return 1
  }
  skopeo_raw "$r/bb/v2s2:1" | grep -q 'application/vnd.docker.distribution.manifest.v2+json' || {
    echo "# bb/v2s2:1 is not a docker schema 2 manifest" >&2
    return 1
  }
  export R=$r
}

teardown_file() {
  registry_teardown_file
  tug_teardown_file
}

# The diff_ids the image config of LAYOUT_REF lists (what .RootFS.Layers must show).
layout_diff_ids() {
  python3 - "$IMAGES_OCI" "$1" <<'PY'
import json, sys
root, ref = sys.argv[1], sys.argv[2]
blob = lambda d: json.load(open("%s/blobs/sha256/%s" % (root, d.split(":")[1])))
desc = next(m for m in json.load(open(root + "/index.json"))["manifests"]
            if m["annotations"]["org.opencontainers.image.ref.name"] == ref)
print(json.dumps(blob(blob(desc["digest"])["config"]["digest"])["rootfs"]["diff_ids"], separators=(",", ":")))
PY
}

@test "pull by tag: docker's lines, then the image is listed, inspectable and runs" {
  fresh_store
  run_tug pull "$R/bb/busybox:1.0"
  local layer
  layer=$(short12 "$IMAGE_BUSYBOX_LAYERS")
  assert_output "1.0: Pulling from bb/busybox
$layer: Pull complete
Digest: $IMAGE_BUSYBOX_DIGEST
Status: Downloaded newer image for $R/bb/busybox:1.0
$R/bb/busybox:1.0"

  run_tug images --format '{{.Repository}} {{.Tag}}'
  assert_line "$R/bb/busybox 1.0"
  run_tug image inspect "$R/bb/busybox:1.0"
  assert_equal "$(json_get 'd[0]["RepoDigests"]')" "[\"$R/bb/busybox@$IMAGE_BUSYBOX_DIGEST\"]" RepoDigests
  assert_equal "$(json_get 'd[0]["RepoTags"]')" "[\"$R/bb/busybox:1.0\"]" RepoTags
  assert_equal "$(json_get 'd[0]["RootFS"]["Layers"]')" "$(layout_diff_ids busybox)" RootFS.Layers
  assert_equal "$(json_get 'd[0]["Id"]')" "$IMAGE_BUSYBOX_CONFIG" "Id (the config digest)"
  assert_equal "$(json_get 'd[0]["Architecture"]')" "$IMAGE_ARCH" Architecture
  assert_equal "$(json_get 'd[0]["Config"]["Cmd"]')" '["sh"]' Config.Cmd
  run_tug run --rm "$R/bb/busybox:1.0" sh -c 'echo pulled-and-ran; id -u app'
  assert_output "pulled-and-ran
1000"
}

@test "pull without a tag means latest" {
  fresh_store
  run_tug pull "$R/bb/busybox"
  assert_equal "${lines[0]}" "Using default tag: latest" "first line"
  assert_equal "${lines[1]}" "latest: Pulling from bb/busybox" "second line"
  assert_equal "${lines[-1]}" "$R/bb/busybox:latest" "last line"
  assert_line "Status: Downloaded newer image for $R/bb/busybox:latest"
  run_tug image inspect --format '{{.Id}}' "$R/bb/busybox:latest"
  assert_output "$IMAGE_BUSYBOX_CONFIG"
}

@test "pull -q prints only the reference" {
  fresh_store
  run_tug pull -q "$R/bb/busybox:latest"
  assert_output "$R/bb/busybox:latest"
  assert_equal "$stderr" "" stderr
  run_tug run --rm "$R/bb/busybox:latest" echo quiet-pull
  assert_output quiet-pull
}

@test "pulling again: up to date, and no blob is downloaded" {
  fresh_store
  run_tug pull -q "$R/bb/busybox:1.0"
  registry_settle main
  local mark
  mark=$(log_mark "$main_LOG")
  run_tug pull "$R/bb/busybox:1.0"
  assert_output "1.0: Pulling from bb/busybox
Digest: $IMAGE_BUSYBOX_DIGEST
Status: Image is up to date for $R/bb/busybox:1.0
$R/bb/busybox:1.0"
  registry_settle main
  assert_equal "$(blob_gets "$main_LOG" "$mark")" 0 "blob GETs for an up-to-date image"
}

@test "pull by digest (a docker schema 2 manifest)" {
  fresh_store
  local digest
  digest=$(manifest_digest "$R/bb/v2s2:1")
  run_tug pull "$R/bb/v2s2@$digest"
  # docker names what it pulls by the full reference here (tug may say just the digest).
  [[ ${lines[0]} =~ ^($R/bb/v2s2@)?$digest:\ Pulling\ from\ bb/v2s2$ ]] || fail "first line is '${lines[0]}'"
  assert_line "$(short12 "$IMAGE_BUSYBOX_LAYERS"): Pull complete"
  assert_line "Digest: $digest"
  assert_line "Status: Downloaded newer image for $R/bb/v2s2@$digest"
  assert_equal "${lines[-1]}" "$R/bb/v2s2@$digest" "last line"
  run_tug image inspect --format '{{json .RepoDigests}}' "$R/bb/v2s2@$digest"
  assert_output "[\"$R/bb/v2s2@$digest\"]"
  # No tag was asked for, none is made.
  run_tug images --format '{{.Repository}} {{.Tag}}'
  assert_line "$R/bb/v2s2 <none>"
  run_tug run --rm "$R/bb/v2s2@$digest" echo by-digest
  assert_output by-digest
}

@test "pull of a missing tag or digest fails with docker's message and changes nothing" {
  fresh_store
  local before
  before=$(store_snapshot)
  run_tug -125 pull "$R/bb/busybox:nope"
  assert_one_line_error
  assert_equal "${stderr_lines[0]}" \
    "tug: manifest for $R/bb/busybox:nope not found: manifest unknown: manifest unknown" error
  local zero=sha256:0000000000000000000000000000000000000000000000000000000000000000
  run_tug -125 pull "$R/bb/busybox@$zero"
  assert_equal "${stderr_lines[0]}" \
    "tug: manifest for $R/bb/busybox@$zero not found: manifest unknown: manifest unknown" error
  run_tug -125 pull "$R/no/such/repo:1"
  assert_one_line_error "$R/no/such/repo:1"
  assert_store_unchanged "$before"
}

@test "an uncompressed layer (application/vnd.oci.image.layer.v1.tar)" {
  fresh_store
  skopeo_raw "$R/bb/plain:1" | grep -q '"application/vnd.oci.image.layer.v1.tar"' || fail "fixture: not uncompressed"
  run_tug pull "$R/bb/plain:1"
  assert_line "$(short12 "$IMAGE_BUSYBOX_PLAIN_LAYERS"): Pull complete"
  # Uncompressed, the blob digest is the diff_id.
  run_tug image inspect --format '{{json .RootFS.Layers}}' "$R/bb/plain:1"
  assert_output "[\"$IMAGE_BUSYBOX_PLAIN_LAYERS\"]"
  run_tug run --rm "$R/bb/plain:1" cat /etc/os-release
  assert_output_contains 'ID=tug-busybox'
}

@test "a zstd layer" {
  fresh_store
  run_tug pull "$R/bb/zstd:1"
  local zlayer
  zlayer=$(skopeo_raw "$R/bb/zstd:1" | jq -r '.layers[0].digest')
  assert_line "$(short12 "$zlayer"): Pull complete"
  # Same tar as the gzip image: same diff_id, same config, same image.
  run_tug image inspect --format '{{json .RootFS.Layers}}' "$R/bb/zstd:1"
  assert_output "$(layout_diff_ids busybox)"
  run_tug run --rm "$R/bb/zstd:1" sh -c 'echo zstd-ok; ls -ln /home/app/.profile'
  assert_line zstd-ok
  assert_output_contains " 1000 "
}

@test "--platform picks the entry of an index; the default is this machine's" {
  fresh_store
  run_tug pull --platform "linux/$IMAGE_OTHER_ARCH" "$R/bb/multi:1"
  assert_line "Digest: $IMAGE_MULTI_DIGEST"
  assert_line "$(short12 "$IMAGE_BUSYBOX_OTHER_LAYERS"): Pull complete"
  run_tug image inspect "$R/bb/multi:1"
  assert_equal "$(json_get 'd[0]["Architecture"]')" "$IMAGE_OTHER_ARCH" Architecture
  assert_equal "$(json_get 'd[0]["Os"]')" linux Os
  assert_equal "$(json_get 'd[0]["Id"]')" "$IMAGE_BUSYBOX_OTHER_CONFIG" Id
  # The index digest is what the tag points to, and what RepoDigests records.
  assert_equal "$(json_get 'd[0]["RepoDigests"]')" "[\"$R/bb/multi@$IMAGE_MULTI_DIGEST\"]" RepoDigests

  run_tug pull "$R/bb/multi:1"
  assert_line "Status: Downloaded newer image for $R/bb/multi:1"
  run_tug image inspect --format '{{.Architecture}} {{.Id}}' "$R/bb/multi:1"
  assert_output "$IMAGE_ARCH $IMAGE_BUSYBOX_CONFIG"
  run_tug run --rm "$R/bb/multi:1" echo native-from-index
  assert_output native-from-index
}

@test "--platform that the index does not have is an error" {
  fresh_store
  local before
  before=$(store_snapshot)
  run_tug -125 pull --platform linux/s390x "$R/bb/multi:1"
  assert_one_line_error "no matching manifest for linux/s390x"
  assert_store_unchanged "$before"
}

@test "run pulls a missing image, saying so on stderr" {
  fresh_store
  run_tug run --rm "$R/bb/busybox:1.0" echo implicit
  assert_output implicit
  assert_equal "${stderr_lines[0]}" "Unable to find image '$R/bb/busybox:1.0' locally" "first stderr line"
  assert_stderr_contains "1.0: Pulling from bb/busybox"
  assert_stderr_contains "$(short12 "$IMAGE_BUSYBOX_LAYERS"): Pull complete"
  assert_stderr_contains "Status: Downloaded newer image for $R/bb/busybox:1.0"
  run_tug images --format '{{.Repository}}:{{.Tag}}'
  assert_line "$R/bb/busybox:1.0"
}

@test "create pulls a missing image, saying so on stderr" {
  fresh_store
  run_tug create "$R/bb/plain:1" true
  assert_output_matches '^[0-9a-f]{64}$'
  local id=$output
  assert_equal "${stderr_lines[0]}" "Unable to find image '$R/bb/plain:1' locally" "create's first stderr line"
  run_tug image inspect --format '{{.Id}}' "$R/bb/plain:1"
  assert_output "$IMAGE_BUSYBOX_PLAIN_CONFIG"
  run_tug rm "$id"
}

@test "--pull never with a missing image fails without asking the registry" {
  fresh_store
  registry_settle main
  local mark
  mark=$(log_mark "$main_LOG")
  run_tug -125 run --rm --pull never "$R/bb/busybox:1.0" true
  assert_error_first_line "Unable to find image"
  assert_error_first_line "$R/bb/busybox:1.0"
  registry_settle main
  assert_equal "$(log_since "$main_LOG" "$mark" | grep -c '/bb/busybox/' || true)" 0 "registry requests"
}

@test "--pull missing|never use the local image, --pull always takes the moved tag" {
  fresh_store
  skopeo_push busybox "$R/bb/moving:1" --preserve-digests
  run_tug pull -q "$R/bb/moving:1"
  skopeo_push busybox-v2 "$R/bb/moving:1" --preserve-digests # the tag moves on in the registry
  local probe='cat /etc/tug-version 2>/dev/null || echo 1'

  registry_settle main
  local mark
  mark=$(log_mark "$main_LOG")
  run_tug run --rm --pull missing "$R/bb/moving:1" sh -c "$probe"
  assert_output 1
  run_tug run --rm --pull never "$R/bb/moving:1" sh -c "$probe"
  assert_output 1
  run_tug run --rm "$R/bb/moving:1" sh -c "$probe"
  assert_output 1
  registry_settle main
  assert_equal "$(log_since "$main_LOG" "$mark" | grep -c '/bb/moving/' || true)" 0 \
    "registry requests without --pull always"

  run_tug run --rm --pull always "$R/bb/moving:1" sh -c "$probe"
  assert_output 2
  assert_stderr_contains "Status: Downloaded newer image for $R/bb/moving:1"
  # Only the new layer came over the wire.
  assert_stderr_contains "$(short12 "$IMAGE_BUSYBOX_LAYERS"): Already exists"
  run_tug image inspect --format '{{.Id}}' "$R/bb/moving:1"
  assert_output "$IMAGE_BUSYBOX_V2_CONFIG"
  run_tug run --rm "$R/bb/moving:1" sh -c "$probe"
  assert_output 2
}

@test "the Debian image with nginx: four layers, its config, and nginx runs" {
  fresh_store
  run_tug pull "$R/debian:nginx"
  local expected="nginx: Pulling from debian" l
  for l in $IMAGE_NGINX_LAYERS; do
    expected+=$'\n'"$(short12 "$l"): Pull complete"
  done
  expected+=$'\n'"Digest: $IMAGE_NGINX_DIGEST"
  expected+=$'\n'"Status: Downloaded newer image for $R/debian:nginx"
  expected+=$'\n'"$R/debian:nginx"
  assert_output "$expected"

  run_tug image inspect "$R/debian:nginx"
  assert_equal "$(json_get 'len(d[0]["RootFS"]["Layers"])')" 4 "number of layers"
  assert_equal "$(json_get 'd[0]["Config"]["Cmd"]')" '["nginx","-g","daemon off;"]' Config.Cmd
  assert_equal "$(json_get 'd[0]["Config"]["ExposedPorts"]')" '{"80/tcp":{}}' Config.ExposedPorts
  run_tug run --rm "$R/debian:nginx" nginx -v
  assert_stderr_contains "nginx version: nginx/"
  run_tug run --rm "$R/debian:nginx" cat /etc/debian_version
  assert_output_matches '^12\.'
  # nginx -t reads its config and the files it names across all four layers.
  run_tug run --rm "$R/debian:nginx" nginx -t
  assert_stderr_contains "test is successful"
}

@test "pulling B after A downloads only B's own layer" {
  fresh_store
  run_tug pull -q "$R/debian:nginx"
  registry_settle main
  local mark
  mark=$(log_mark "$main_LOG")
  run_tug pull "$R/debian:nginx-extra"
  local expected="nginx-extra: Pulling from debian" l own
  for l in $IMAGE_NGINX_LAYERS; do
    expected+=$'\n'"$(short12 "$l"): Already exists"
  done
  own=${IMAGE_NGINX_EXTRA_LAYERS##* }
  expected+=$'\n'"$(short12 "$own"): Pull complete"
  expected+=$'\n'"Digest: $IMAGE_NGINX_EXTRA_DIGEST"
  expected+=$'\n'"Status: Downloaded newer image for $R/debian:nginx-extra"
  expected+=$'\n'"$R/debian:nginx-extra"
  assert_output "$expected"

  registry_settle main
  for l in $IMAGE_NGINX_LAYERS; do
    assert_equal "$(blob_gets "$main_LOG" "$mark" "$l")" 0 "GETs of A's layer $l"
  done
  assert_equal "$(blob_gets "$main_LOG" "$mark" "$own")" 1 "GETs of B's own layer"
  run_tug run --rm "$R/debian:nginx-extra" cat /etc/tug-extra.txt
  assert_output "image B: one extra layer"
  # A is still whole.
  run_tug run --rm "$R/debian:nginx" sh -c 'test ! -e /etc/tug-extra.txt && nginx -v'
  assert_stderr_contains "nginx version: nginx/"
}

@test "load of an OCI layout whose index.json holds a multi-platform index: every image, the host's platform" {
  local store=$TUG_TEST_BASE/load-store  # a store of its own: the pulls above must fetch what they fetch
  tar -C "$IMAGES_OCI" -cf "$BATS_TEST_TMPDIR/layout.tar" .
  run_cmd "$TUG" --root "$store" --runroot "$store-run" load -i "$BATS_TEST_TMPDIR/layout.tar"
  assert_line "Loaded image: multi:latest"
  assert_line "Loaded image: nginx:latest"
  run_cmd "$TUG" --root "$store" --runroot "$store-run" image inspect -f '{{.Os}}/{{.Architecture}}' multi:latest
  assert_output "linux/$IMAGE_ARCH"
  run_cmd "$TUG" --root "$store" --runroot "$store-run" run --rm multi:latest true
}

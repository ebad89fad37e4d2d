#!/usr/bin/env bats
# container, image, builder and system prune: what goes, what stays (running containers, images
# a container uses, tagged images without -a), docker's prompt and lines.

load helpers

setup_file() { tug_setup_file; }

@test "container prune removes the stopped containers only; without -f it asks and no keeps them" {
  run_tug run --name stopped1 busybox:test true
  local stopped_id
  stopped_id=$(tug inspect -f '{{.Id}}' stopped1)
  run_tug run -d --name alive busybox:test sleep 100
  capture tug container prune <<<"n"
  check_status 0
  assert_output_matches 'Are you sure you want to continue\? \[y/N\]'
  run_tug inspect -f '{{.State.Status}}' stopped1
  assert_output exited
  run_tug container prune -f
  assert_output $'Deleted Containers:\n'"$stopped_id"$'\n\nTotal reclaimed space: 0B'
  run_tug -125 inspect stopped1
  run_tug inspect -f '{{.State.Status}}' alive
  assert_output running
  run_tug rm -f alive
}

@test "image prune removes dangling images; -a also tagged ones no container uses" {
  run_tug run --name keep-user busybox:test sh -c 'echo x > /x'
  run_tug commit keep-user
  local dangling=$output
  run_tug commit keep-user used:1
  run_tug create --name user-of-used used:1 true
  import_busybox spare:1 --change 'CMD ["/bin/true"]' >/dev/null
  run_tug image prune -f
  assert_line "deleted: $dangling"
  assert_output_matches 'Total reclaimed space: [0-9.]+k?B$'
  run_tug -125 image inspect "$dangling"
  run_tug image inspect -f '{{.Id}}' spare:1
  run_tug image prune -a -f
  assert_line "untagged: spare:1"
  run_tug -125 image inspect spare:1
  # In use by a container (stopped, even): kept.
  run_tug image inspect -f '{{.Id}}' used:1
  run_tug image inspect -f '{{.Id}}' busybox:test
  run_tug rm user-of-used keep-user
}

@test "builder prune removes the build steps' images, the cache index and cache mounts; the next build runs again" {
  local d=$BATS_TEST_TMPDIR/ctx
  mkdir -p "$d"
  printf 'FROM busybox:test\nRUN --mount=type=cache,target=/c echo hi > /c/f && echo hi > /out\nCMD ["cat", "/out"]\n' \
    >"$d/Dockerfile"
  run_tug build -q -t pruned:1 "$d"
  run_tug images -a -q
  local with_steps=${#lines[@]}
  run_tug builder prune -f
  assert_output_matches 'deleted: sha256:[0-9a-f]{64}'
  assert_output_matches 'Total:'
  run_tug images -a -q
  ((${#lines[@]} < with_steps)) || fail "the build step's image is still listed"
  [ ! -e "$TUG_TEST_ROOT/cache/build-mounts" ] || fail "the cache mounts are still there"
  run_tug run --rm pruned:1
  assert_output hi
  run_tug build -t pruned:1 "$d"
  [[ $output != *"Using cache"* ]] || fail "a step came from the pruned cache"
}

@test "system prune: stopped containers, dangling images and the build cache in one go" {
  run_tug run --name sys-stopped busybox:test sh -c 'echo y > /y'
  run_tug commit sys-stopped
  local dangling=$output
  run_tug rm sys-stopped
  run_tug run --name sys-stopped2 busybox:test true
  run_tug system prune -f
  assert_line "Deleted Containers:"
  assert_line "deleted: $dangling"
  assert_output_matches 'Total reclaimed space:'
  run_tug ps -a -q --filter name=sys-stopped2
  assert_output ""
  run_tug image inspect -f '{{.Id}}' busybox:test
}

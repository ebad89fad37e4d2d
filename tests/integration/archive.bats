#!/usr/bin/env bats
# Image archives: save/load round trips (docker-archive and oci-archive), interop with podman
# and skopeo, docker 25 and podman layouts, broken and hostile archives, image history.
# configs: tugtest tugnosub root

load helpers

setup_file() {
  tug_setup_file
  # Archives no tool writes on demand: other layouts, compressed layers, wrong diff_ids,
  # hostile member names, a config with several history steps. Layer 1 is the busybox rootfs,
  # layer 2 a tar holding /greeting (new content per --greeting, so a new layer for the store).
  cat >"$TUG_TEST_BASE/mkarchive.py" <<'PY'
import argparse, gzip, hashlib, io, json, subprocess, tarfile

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--base", required=True)
p.add_argument("--layout", default="legacy", choices=["legacy", "podman", "docker25", "oci"])
p.add_argument("--compress", default="none", choices=["none", "gzip", "zstd"])
p.add_argument("--order", default="meta-last", choices=["meta-first", "meta-last"])
p.add_argument("--tag", default="")
p.add_argument("--greeting", default="hello")
p.add_argument("--wrong-diff-id", action="store_true")
p.add_argument("--extra-member", default="")
a = p.parse_args()

def sha(b): return "sha256:" + hashlib.sha256(b).hexdigest()
def hexof(b): return hashlib.sha256(b).hexdigest()

def tar_of(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode = len(data), 1700000000, 0o644
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()

def compress(b):
    if a.compress == "gzip": return gzip.compress(b, mtime=0)
    if a.compress == "zstd": return subprocess.run(["zstd", "-q", "-c"], input=b, capture_output=True, check=True).stdout
    return b

layers = [open(a.base, "rb").read(), tar_of([("greeting", (a.greeting + "\n").encode())])]
diff_ids = [sha(l) for l in layers]
if a.wrong_diff_id: diff_ids[1] = sha(b"not this layer")
blobs = [compress(l) for l in layers]
history = [
    {"created": "2023-11-14T22:13:20Z", "created_by": "/bin/sh -c #(nop) ADD file:4a6f2b in / "},
    {"created": "2023-11-14T22:13:21Z", "created_by": "/bin/sh -c #(nop)  ENV GREETING=" + a.greeting, "empty_layer": True},
    {"created": "2023-11-14T22:13:22Z", "created_by": "/bin/sh -c echo " + a.greeting + " > /greeting && chmod 0644 /greeting",
     "comment": "buildkit.dockerfile.v0"},
    {"created": "2023-11-14T22:13:23Z", "created_by": '/bin/sh -c #(nop)  CMD ["cat" "/greeting"]', "empty_layer": True},
]
config = json.dumps({
    "architecture": "amd64", "os": "linux", "created": "2023-11-14T22:13:23Z",
    "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=" + a.greeting], "Cmd": ["cat", "/greeting"]},
    "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": history}, separators=(",", ":")).encode()
media = {"none": "application/vnd.oci.image.layer.v1.tar", "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
         "zstd": "application/vnd.oci.image.layer.v1.tar+zstd"}[a.compress]
manifest = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(config), "size": len(config)},
    "layers": [{"mediaType": media, "digest": sha(b), "size": len(b)} for b in blobs]}).encode()

meta, data, links = [], [], []  # (name, bytes) / (name, target)
tags = [a.tag] if a.tag else []
if a.layout in ("legacy", "podman"):
    if a.layout == "legacy":
        names = [hexof(l) + "/layer.tar" for l in layers]
        data += list(zip(names, blobs))
    else:  # podman: <diff_id>.tar, and <id>/layer.tar links to it that manifest.json names
        names = ["%064x/layer.tar" % (i + 1) for i in range(len(layers))]
        data += [(hexof(l) + ".tar", b) for l, b in zip(layers, blobs)]
        links += [(n, "../" + hexof(l) + ".tar") for n, l in zip(names, layers)]
    meta.append((hexof(config) + ".json", config))
    meta.append(("manifest.json", json.dumps([{"Config": hexof(config) + ".json", "RepoTags": tags, "Layers": names}]).encode()))
else:
    index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                                "digest": sha(manifest), "size": len(manifest)}]}
    if a.tag:
        index["manifests"][0]["annotations"] = {"org.opencontainers.image.ref.name": a.tag}
    meta += [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", json.dumps(index).encode()),
             ("blobs/sha256/" + hexof(manifest), manifest), ("blobs/sha256/" + hexof(config), config)]
    data += [("blobs/sha256/" + hexof(b), b) for b in blobs]
    if a.layout == "docker25":  # docker 25: the same blobs, named by manifest.json as well
        index["manifests"][0]["annotations"] = {"io.containerd.image.name": "docker.io/library/" + a.tag,
                                                "org.opencontainers.image.ref.name": a.tag.split(":")[-1]}
        meta[1] = ("index.json", json.dumps(index).encode())
        meta.append(("manifest.json", json.dumps([{"Config": "blobs/sha256/" + hexof(config), "RepoTags": tags,
                                                   "Layers": ["blobs/sha256/" + hexof(b) for b in blobs]}]).encode()))
if a.extra_member:
    meta.append((a.extra_member, b"x"))

with tarfile.open(a.out, "w", format=tarfile.PAX_FORMAT) as t:
    def add(name, b):
        ti = tarfile.TarInfo(name)
        ti.size, ti.mtime, ti.mode = len(b), 1700000000, 0o644
        t.addfile(ti, io.BytesIO(b))
    def link(name, target):
        ti = tarfile.TarInfo(name)
        ti.type, ti.linkname, ti.mtime = tarfile.SYMTYPE, target, 1700000000
        t.addfile(ti)
    first, last = (meta, data) if a.order == "meta-first" else (data, meta)
    for n, b in first: add(n, b)
    for n, b in last: add(n, b)
    for n, target in links: link(n, target)
PY
}
teardown_file() {
  podman_stop
  tug_teardown_file
}

# mkarchive OUT [OPTIONS]: writes a hand-made archive (see setup_file).
mkarchive() {
  local out=$1
  shift
  python3 "$TUG_TEST_BASE/mkarchive.py" --base "$BUSYBOX_TAR" "$out" "$@" || fail "mkarchive.py failed"
}

# The members of a tar, one a line, and one member's content.
members() { tar -tf "$1"; }
member() { tar -xOf "$1" "$2"; }

sha256_of() { sha256sum | cut -d' ' -f1; }

# flip FILE OFFSET: FILE with the byte at OFFSET+2 changed, as $BATS_TEST_TMPDIR/flipped.tar.
flip() {
  [ -n "$2" ] || fail "flip: no offset"
  cp "$1" "$BATS_TEST_TMPDIR/flipped.tar"
  printf 'Z' | dd of="$BATS_TEST_TMPDIR/flipped.tar" bs=1 seek=$(($2 + 2)) conv=notrunc status=none
}

# The offset of the middle of the last member that has content.
middle_of_last_member() {
  python3 -c '
import sys, tarfile
m = [m for m in tarfile.open(sys.argv[1]).getmembers() if m.size > 0][-1]
print(m.offset_data + m.size // 2)' "$1"
}

# --- podman, with its own store under this file's temp dir ------------------------------------

podman_cmd() {
  podman --root "$TUG_TEST_BASE/podman/root" --runroot "$PODMAN_RUNROOT" \
    --storage-driver vfs --cgroup-manager cgroupfs --events-backend file "$@" 3>&-
}

# Skips the test unless podman can store busybox (installed, and subordinate ids for its
# uid 1000 files); sets PODMAN_RUNROOT (podman refuses a runroot over 50 characters: /tmp).
podman_setup() {
  command -v podman >/dev/null || skip "podman is not installed"
  has_full_mapping || skip "podman needs subordinate ids for busybox's uid 1000 files"
  if [ ! -f "$TUG_TEST_BASE/podman/runroot" ]; then
    mkdir -p "$TUG_TEST_BASE/podman"
    mktemp -d /tmp/tug-pm.XXXXXX >"$TUG_TEST_BASE/podman/runroot" || fail "mktemp"
  fi
  PODMAN_RUNROOT=$(cat "$TUG_TEST_BASE/podman/runroot")
}

# crun refuses hybrid cgroup hosts whose v2 hierarchy has controllers: root hides it in a
# private mount namespace; a user needs runc instead. podman as root asks for more rlimits than
# a container host may allow, so modest ones are given.
podman_hybrid_cgroups() {
  [[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == tmpfs ]] &&
    [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]
}
podman_run() {
  local opts=(--root "$TUG_TEST_BASE/podman/root" --runroot "$PODMAN_RUNROOT" --storage-driver vfs
    --cgroup-manager cgroupfs --events-backend file)
  if ! podman_hybrid_cgroups; then
    podman "${opts[@]}" run --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@" 3>&-
  elif is_root; then
    unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified && exec "$@"' sh \
      podman "${opts[@]}" run --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@" 3>&-
  else
    podman "${opts[@]}" --runtime runc run "$@" 3>&-
  fi
}
podman_can_run() {
  ! podman_hybrid_cgroups || is_root || command -v runc >/dev/null
}

# Rootless podman leaves a pause process holding its user namespace.
podman_stop() {
  local pid
  for pid in "${XDG_RUNTIME_DIR:-/nonexistent}/libpod/tmp/pause.pid"; do
    [ -s "$pid" ] && kill "$(cat "$pid")" 2>/dev/null
  done
  if [ -f "${TUG_TEST_BASE:-/nonexistent}/podman/runroot" ]; then
    rm -rf "$(cat "$TUG_TEST_BASE/podman/runroot")" 2>/dev/null ||
      unshare --map-root-user --map-auto rm -rf "$(cat "$TUG_TEST_BASE/podman/runroot")" 2>/dev/null || true
  fi
  return 0
}

# --- round trips -----------------------------------------------------------------------------

@test "save, rmi, load: same image ID, same tag, and it runs" {
  import_busybox rt:1 --change 'CMD ["echo","round-trip"]'
  local id=$output
  run_tug save -o "$BATS_TEST_TMPDIR/rt.tar" rt:1
  assert_output ""
  # docker's layout: manifest.json, the config named by its digest, the layer as a plain tar
  # whose sha256 is the layer's diff_id.
  run_cmd member "$BATS_TEST_TMPDIR/rt.tar" manifest.json
  assert_equal "$(json_get 'd[0]["RepoTags"]')" '["rt:1"]' RepoTags
  assert_equal "$(json_get 'd[0]["Config"]')" "${id#sha256:}.json" Config
  local layer diff
  layer=$(json_get 'd[0]["Layers"][0]')
  run_tug image inspect --format '{{index .RootFS.Layers 0}}' rt:1
  diff=$output
  assert_equal "sha256:$(member "$BATS_TEST_TMPDIR/rt.tar" "$layer" | sha256_of)" "$diff" "layer tar digest"
  assert_equal "sha256:$(member "$BATS_TEST_TMPDIR/rt.tar" "${id#sha256:}.json" | sha256_of)" "$id" "config digest"

  run_tug rmi rt:1
  run_tug_fails image inspect rt:1
  run_tug load -i "$BATS_TEST_TMPDIR/rt.tar"
  assert_output "Loaded image: rt:1"
  run_tug image inspect --format '{{.Id}}' rt:1
  assert_output "$id"
  run_tug run --rm rt:1
  assert_output round-trip
}

@test "save to stdout, load from stdin, also gzip-compressed, and under tug image" {
  import_busybox pipe:1 --change 'LABEL pipe=1'
  local id=$output
  tug save pipe:1 >"$BATS_TEST_TMPDIR/pipe.tar" || fail "save to stdout failed"
  run_tug rmi pipe:1
  capture tug load <"$BATS_TEST_TMPDIR/pipe.tar"
  check_status 0
  assert_output "Loaded image: pipe:1"
  run_tug rmi pipe:1
  gzip -c "$BATS_TEST_TMPDIR/pipe.tar" >"$BATS_TEST_TMPDIR/pipe.tar.gz"
  run_tug image load -q -i "$BATS_TEST_TMPDIR/pipe.tar.gz"
  assert_output "Loaded image: pipe:1"
  run_tug image inspect --format '{{.Id}}' pipe:1
  assert_output "$id"
  # tug save | tug load, the way images move between machines.
  run_cmd bash -c "'$TUG' --root '$TUG_TEST_ROOT' --runroot '$TUG_TEST_RUNROOT' image save pipe:1 |
    '$TUG' --root '$TUG_TEST_ROOT' --runroot '$TUG_TEST_RUNROOT' load"
  assert_output "Loaded image: pipe:1"
}

@test "two images sharing a layer: the layer is written once, both load back" {
  import_busybox share-a:1 --change 'LABEL which=a'
  local a=$output
  import_busybox share-b:1 --change 'LABEL which=b'
  local b=$output
  run_tug save -o "$BATS_TEST_TMPDIR/two.tar" share-a:1 share-b:1
  assert_equal "$(members "$BATS_TEST_TMPDIR/two.tar" | grep -c 'layer.tar$')" 1 "layer.tar members"
  assert_equal "$(members "$BATS_TEST_TMPDIR/two.tar" | grep -c '^[0-9a-f]\{64\}\.json$')" 2 "config members"
  run_cmd member "$BATS_TEST_TMPDIR/two.tar" manifest.json
  assert_equal "$(json_get 'len(d)')" 2 "images in manifest.json"
  assert_equal "$(json_get 'd[0]["Layers"] == d[1]["Layers"]')" true "same Layers"
  assert_equal "$(json_get '[e["RepoTags"] for e in d]')" '[["share-a:1"],["share-b:1"]]' RepoTags
  run_tug rmi share-a:1 share-b:1
  run_tug load -i "$BATS_TEST_TMPDIR/two.tar"
  assert_line "Loaded image: share-a:1"
  assert_line "Loaded image: share-b:1"
  run_tug image inspect --format '{{.Id}} {{.Config.Labels.which}}' share-a:1 share-b:1
  assert_output "$a a
$b b"
}

@test "save by ID: no tag in the archive, load prints the ID" {
  import_busybox byid:1 --change 'LABEL byid=1'
  local id=$output
  run_tug save -o "$BATS_TEST_TMPDIR/id.tar" "${id#sha256:}"
  run_cmd member "$BATS_TEST_TMPDIR/id.tar" manifest.json
  assert_equal "$(json_get 'd[0]["RepoTags"]')" null RepoTags
  run_tug rmi byid:1
  run_tug load -i "$BATS_TEST_TMPDIR/id.tar"
  assert_output "Loaded image ID: $id"
  run_tug images --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}'
  assert_line "$id <none>:<none>"
}

@test "save of a bare repository name saves all its tags" {
  import_busybox repo-all:1 --change 'LABEL r=1'
  run_tug tag repo-all:1 repo-all:2
  run_tug save -o "$BATS_TEST_TMPDIR/repo.tar" repo-all
  run_cmd member "$BATS_TEST_TMPDIR/repo.tar" manifest.json
  assert_equal "$(json_get 'd[0]["RepoTags"]')" '["repo-all:1","repo-all:2"]' RepoTags
  assert_equal "$(json_get 'len(d)')" 1 "images"
}

@test "loading over an existing tag moves it, as docker says" {
  import_busybox moved-new:1 --change 'LABEL v=new'
  local new=$output
  import_busybox moved:1 --change 'LABEL v=old'
  local old=$output
  # An archive in which moved:1 is the new image, loaded where moved:1 is the old one.
  run_tug tag moved-new:1 moved:1
  run_tug save -o "$BATS_TEST_TMPDIR/new.tar" moved:1
  run_tug tag "$old" moved:1
  run_tug load -i "$BATS_TEST_TMPDIR/new.tar"
  assert_output "The image moved:1 already exists, renaming the old one with ID $old to empty string
Loaded image: moved:1"
  run_tug image inspect --format '{{.Id}}' moved:1
  assert_output "$new"
  run_tug images --no-trunc --format '{{.ID}} {{.Repository}}'
  assert_line "$old <none>"
}

@test "oci-archive: an OCI layout whose round trip keeps every digest" {
  import_busybox oci-rt:1 --change 'CMD ["echo","from-oci"]'
  local id=$output
  run_tug save --format oci-archive -o "$BATS_TEST_TMPDIR/oci.tar" oci-rt:1
  assert_equal "$(member "$BATS_TEST_TMPDIR/oci.tar" oci-layout)" '{"imageLayoutVersion":"1.0.0"}' oci-layout
  run_cmd member "$BATS_TEST_TMPDIR/oci.tar" index.json
  assert_equal "$(json_get 'd["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]')" \
    docker.io/library/oci-rt:1 ref.name
  local manifest
  manifest=$(json_get 'd["manifests"][0]["digest"]')
  # Every blob is named by its content.
  local m
  for m in $(members "$BATS_TEST_TMPDIR/oci.tar" | grep '^blobs/sha256/.'); do
    assert_equal "$(member "$BATS_TEST_TMPDIR/oci.tar" "$m" | sha256_of)" "${m#blobs/sha256/}" "digest of $m"
  done
  assert_equal "$(member "$BATS_TEST_TMPDIR/oci.tar" "blobs/sha256/${manifest#sha256:}" | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["config"]["digest"])')" "$id" "manifest's config"

  run_tug rmi oci-rt:1
  run_tug load -i "$BATS_TEST_TMPDIR/oci.tar"
  assert_output "Loaded image: oci-rt:1"
  run_tug image inspect --format '{{.Id}}' oci-rt:1
  assert_output "$id"
  run_tug run --rm oci-rt:1
  assert_output from-oci
  # Saved again: the same manifest digest, in fact the same bytes.
  run_tug save --format oci-archive -o "$BATS_TEST_TMPDIR/oci2.tar" oci-rt:1
  cmp "$BATS_TEST_TMPDIR/oci.tar" "$BATS_TEST_TMPDIR/oci2.tar" || fail "the second oci-archive differs"
}

@test "save refuses a terminal, an unknown image and an unknown format; load refuses a terminal" {
  capture script -qec "'$TUG' --root '$TUG_TEST_ROOT' --runroot '$TUG_TEST_RUNROOT' save busybox:test" /dev/null
  [ "$status" -eq 125 ] || fail "save to a terminal exited $status: $output"
  assert_output_contains "tug: cowardly refusing to save to a terminal. Use the -o flag or redirect"
  capture script -qec "'$TUG' --root '$TUG_TEST_ROOT' --runroot '$TUG_TEST_RUNROOT' load" /dev/null
  [ "$status" -eq 125 ] || fail "load from a terminal exited $status: $output"
  assert_output_contains "requested load from stdin, but stdin is empty"

  run_tug -125 save -o "$BATS_TEST_TMPDIR/none.tar" busybox:test no-such:image
  assert_one_line_error no-such:image
  [ ! -e "$BATS_TEST_TMPDIR/none.tar" ] || fail "a failed save left $BATS_TEST_TMPDIR/none.tar"
  [ -z "$(ls -A "$BATS_TEST_TMPDIR" | grep tug-save)" ] || fail "a failed save left a temporary file"
  run_tug -125 save --format zip -o "$BATS_TEST_TMPDIR/none.tar" busybox:test
  assert_one_line_error zip
}

# --- other tools' archives --------------------------------------------------------------------

@test "podman loads what tug saves (docker-archive and oci-archive), and runs it" {
  podman_setup
  import_busybox for-podman:1 --change 'CMD ["echo","tug-image-in-podman"]'
  local id=$output
  run_tug save -o "$BATS_TEST_TMPDIR/pm.tar" for-podman:1
  run_cmd podman_cmd load -q -i "$BATS_TEST_TMPDIR/pm.tar"
  assert_output_contains "Loaded image: localhost/for-podman:1"
  run_cmd podman_cmd image inspect --format '{{.Id}}' localhost/for-podman:1
  assert_output "${id#sha256:}"
  run_tug save --format oci-archive -o "$BATS_TEST_TMPDIR/pm-oci.tar" for-podman:1
  run_cmd podman_cmd load -q -i "$BATS_TEST_TMPDIR/pm-oci.tar"
  assert_output_contains "Loaded image: docker.io/library/for-podman:1"
  run_cmd podman_cmd image inspect --format '{{.Id}}' docker.io/library/for-podman:1
  assert_output "${id#sha256:}"
  podman_can_run || skip "podman cannot run containers for this user on this host (hybrid cgroups, no runc)"
  run_cmd podman_run --rm --network none localhost/for-podman:1
  assert_output tug-image-in-podman
}

@test "tug loads what podman saves (docker-archive and oci-archive), and runs it" {
  podman_setup
  run_cmd podman_cmd import --change 'CMD ["echo","podman-image-in-tug"]' "$BUSYBOX_TAR" localhost/from-podman:1
  local id
  id=$(podman_cmd image inspect --format '{{.Id}}' localhost/from-podman:1) || fail "podman inspect"
  run_cmd podman_cmd save -q --format docker-archive -o "$BATS_TEST_TMPDIR/pd.tar" localhost/from-podman:1
  run_cmd podman_cmd save -q --format oci-archive -o "$BATS_TEST_TMPDIR/po.tar" localhost/from-podman:1
  run_tug load -i "$BATS_TEST_TMPDIR/pd.tar"
  assert_output "Loaded image: localhost/from-podman:1"
  run_tug image inspect --format '{{.Id}}' localhost/from-podman:1
  assert_output "sha256:$id"
  run_tug run --rm localhost/from-podman:1
  assert_output podman-image-in-tug
  run_tug rmi localhost/from-podman:1
  # podman's OCI archive has gzip layers: stored as they are, the manifest digest kept.
  run_tug load -i "$BATS_TEST_TMPDIR/po.tar"
  assert_output "Loaded image: localhost/from-podman:1"
  run_tug run --rm localhost/from-podman:1
  assert_output podman-image-in-tug
  run_tug save --format oci-archive -o "$BATS_TEST_TMPDIR/back.tar" localhost/from-podman:1
  assert_equal "$(member "$BATS_TEST_TMPDIR/back.tar" index.json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["manifests"][0]["digest"])')" \
    "$(member "$BATS_TEST_TMPDIR/po.tar" index.json | python3 -c \
      'import json,sys; print(json.load(sys.stdin)["manifests"][0]["digest"])')" "manifest digest"
  # Saved as a docker-archive, the stored gzip layer is written decompressed: its tar is the diff_id.
  run_tug save -o "$BATS_TEST_TMPDIR/back-docker.tar" localhost/from-podman:1
  run_cmd member "$BATS_TEST_TMPDIR/back-docker.tar" manifest.json
  local layer
  layer=$(json_get 'd[0]["Layers"][0]')
  run_tug image inspect --format '{{index .RootFS.Layers 0}}' localhost/from-podman:1
  assert_equal "sha256:$(member "$BATS_TEST_TMPDIR/back-docker.tar" "$layer" | sha256_of)" "$output" "layer tar digest"
  run_tug rmi localhost/from-podman:1
  run_tug load -i "$BATS_TEST_TMPDIR/back-docker.tar"
  run_tug run --rm localhost/from-podman:1
  assert_output podman-image-in-tug
}

@test "tug loads skopeo's oci-archive" {
  command -v skopeo >/dev/null || skip "skopeo is not installed"
  import_busybox for-skopeo:1 --change 'CMD ["echo","via-skopeo"]'
  run_tug save -o "$BATS_TEST_TMPDIR/sk-in.tar" for-skopeo:1
  run_cmd skopeo --insecure-policy copy -q "docker-archive:$BATS_TEST_TMPDIR/sk-in.tar" \
    "oci-archive:$BATS_TEST_TMPDIR/sk.tar:skopeo/img:7"
  run_tug load -i "$BATS_TEST_TMPDIR/sk.tar"
  assert_output "Loaded image: skopeo/img:7"
  # skopeo rewrites the config while converting (another ID); tug keeps the one skopeo wrote.
  local manifest
  manifest=$(member "$BATS_TEST_TMPDIR/sk.tar" index.json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["manifests"][0]["digest"])')
  run_cmd member "$BATS_TEST_TMPDIR/sk.tar" "blobs/sha256/${manifest#sha256:}"
  local config
  config=$(json_get 'd["config"]["digest"]')
  run_tug image inspect --format '{{.Id}}' skopeo/img:7
  assert_output "$config"
  run_tug run --rm skopeo/img:7
  assert_output via-skopeo
}

@test "layouts: podman's links, docker 25's blobs, OCI with gzip and zstd layers, metadata first or last" {
  local layout compress order n=0
  for layout in legacy podman docker25 oci; do
    for compress in none gzip zstd; do
      if [ "$compress" = zstd ] && ! command -v zstd >/dev/null; then continue; fi
      for order in meta-first meta-last; do
        n=$((n + 1))
        mkarchive "$BATS_TEST_TMPDIR/l$n.tar" --layout "$layout" --compress "$compress" --order "$order" \
          --tag "layout-$n:1" --greeting "greet-$layout-$compress-$order"
        run_tug load -i "$BATS_TEST_TMPDIR/l$n.tar"
        assert_output "Loaded image: layout-$n:1"
        run_tug run --rm "layout-$n:1"
        assert_output "greet-$layout-$compress-$order"
      done
    done
  done
}

# --- broken and hostile archives --------------------------------------------------------------

@test "truncated archives: one-line error, exit 125, store unchanged" {
  run_tug save -o "$BATS_TEST_TMPDIR/full.tar" busybox:test
  mkarchive "$BATS_TEST_TMPDIR/first.tar" --order meta-first --tag trunc:1 --greeting "truncated-first"
  mkarchive "$BATS_TEST_TMPDIR/last.tar" --layout oci --compress gzip --tag trunc:2 --greeting "truncated-last"
  local before f cut
  before=$(store_snapshot)
  for f in full first last; do
    # In the first header, in the middle of the archive (the big layer), in the last member.
    for cut in 300 $(($(stat -c %s "$BATS_TEST_TMPDIR/$f.tar") / 2)) $(middle_of_last_member "$BATS_TEST_TMPDIR/$f.tar"); do
      head -c "$cut" "$BATS_TEST_TMPDIR/$f.tar" >"$BATS_TEST_TMPDIR/cut.tar"
      run_tug -125 load -i "$BATS_TEST_TMPDIR/cut.tar"
      assert_one_line_error cut.tar
      assert_store_unchanged "$before"
    done
  done
  run_tug_fails image inspect trunc:1
  run_tug_fails image inspect trunc:2
  run_tug -125 load -i /dev/null
  assert_one_line_error "the archive is empty"
  echo "not a tar" >"$BATS_TEST_TMPDIR/junk.tar"
  run_tug -125 load -i "$BATS_TEST_TMPDIR/junk.tar"
  assert_one_line_error "not a tar archive"
  assert_store_unchanged "$before"
}

@test "corrupt archives: one changed byte is caught, store unchanged" {
  # Metadata first: layer 2 is imported while the archive streams and found wrong afterwards.
  mkarchive "$BATS_TEST_TMPDIR/a.tar" --order meta-first --tag corrupt:1 --greeting corrupt-one
  # Metadata last, gzip layers: found wrong before anything is imported.
  mkarchive "$BATS_TEST_TMPDIR/b.tar" --layout oci --compress gzip --tag corrupt:2 --greeting corrupt-two
  local before
  before=$(store_snapshot)
  # The greeting file's content (its last occurrence: the layer comes after the config).
  flip "$BATS_TEST_TMPDIR/a.tar" "$(grep -abo corrupt-one "$BATS_TEST_TMPDIR/a.tar" | tail -n1 | cut -d: -f1)"
  run_tug -125 load -i "$BATS_TEST_TMPDIR/flipped.tar"
  assert_one_line_error "its image config says"
  assert_store_unchanged "$before"
  # The config (named by its digest).
  flip "$BATS_TEST_TMPDIR/a.tar" "$(grep -abo GREETING=corrupt-one "$BATS_TEST_TMPDIR/a.tar" | head -n1 | cut -d: -f1)"
  run_tug -125 load -i "$BATS_TEST_TMPDIR/flipped.tar"
  assert_one_line_error "the archive is corrupt"
  assert_store_unchanged "$before"
  # The middle of the big gzip layer.
  flip "$BATS_TEST_TMPDIR/b.tar" $(($(stat -c %s "$BATS_TEST_TMPDIR/b.tar") / 2))
  run_tug -125 load -i "$BATS_TEST_TMPDIR/flipped.tar"
  assert_one_line_error "the archive is corrupt"
  assert_store_unchanged "$before"
  flip "$BATS_TEST_TMPDIR/b.tar" "$(grep -abo GREETING=corrupt-two "$BATS_TEST_TMPDIR/b.tar" | head -n1 | cut -d: -f1)"
  run_tug -125 load -i "$BATS_TEST_TMPDIR/flipped.tar"
  assert_one_line_error "the archive is corrupt"
  assert_store_unchanged "$before"
  run_tug_fails image inspect corrupt:1
  run_tug_fails image inspect corrupt:2
}

@test "a layer that is not what the config says: error, nothing tagged, store unchanged" {
  local order before
  before=$(store_snapshot)
  for order in meta-first meta-last; do
    mkarchive "$BATS_TEST_TMPDIR/wrong.tar" --order "$order" --compress gzip --wrong-diff-id --tag wrong:1 \
      --greeting "wrong-$order"
    run_tug -125 load -i "$BATS_TEST_TMPDIR/wrong.tar"
    assert_one_line_error "its image config says"
    assert_store_unchanged "$before"
  done
  run_tug_fails image inspect wrong:1
}

@test "member names with .. or an absolute path are refused" {
  local before name
  before=$(store_snapshot)
  for name in ../escape.json /etc/evil.json blobs/../../up; do
    mkarchive "$BATS_TEST_TMPDIR/evil.tar" --tag evil:1 --greeting evil --extra-member "$name"
    run_tug -125 load -i "$BATS_TEST_TMPDIR/evil.tar"
    assert_one_line_error "$name"
    assert_store_unchanged "$before"
  done
  [ ! -e "$BATS_TEST_TMPDIR/escape.json" ] || fail "a member was written outside"
  run_tug_fails image inspect evil:1
}

# --- history ----------------------------------------------------------------------------------

@test "history of an imported image: one step, docker's columns" {
  import_busybox hist-import:1 --message "imported for history"
  local id=$output short
  short=${id#sha256:}
  short=${short:0:12}
  run_tug image inspect --format '{{.Size}}' hist-import:1
  local bytes=$output
  run_tug images --format '{{.Size}}' hist-import:1
  local size=$output
  run_tug history hist-import:1
  [[ ${lines[0]} =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]] || fail "header is '${lines[0]}'"
  assert_equal "${#lines[@]}" 2 "lines"
  [[ ${lines[1]} =~ ^$short\ +[^\ ].*\ ago\ +tug\ import\ +$size\ +imported\ for\ history$ ]] ||
    fail "row is '${lines[1]}'"
  run_tug image history -q hist-import:1
  assert_output "$short"
  run_tug history --no-trunc --format '{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}' hist-import:1
  assert_output "$id|tug import|$size|imported for history"
  run_tug history -H=false --format '{{.Size}} {{.CreatedSince}}' hist-import:1
  [[ $output =~ ^$bytes\ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})$ ]] ||
    fail "history -H=false printed '$output' (expected $bytes and an RFC 3339 date)"
  run_tug_fails history no-such:image
  assert_one_line_error no-such:image
}

@test "history of a loaded image: newest first, empty layers 0B, <missing> below the top" {
  mkarchive "$BATS_TEST_TMPDIR/hist.tar" --tag hist:1 --greeting "history-greeting-step"
  run_tug load -i "$BATS_TEST_TMPDIR/hist.tar"
  run_tug image inspect --format '{{.Id}}' hist:1
  local id=$output
  run_tug image inspect --format '{{.Size}}' busybox:test
  local base
  base=$(python3 -c "
n = float($output)
units = ['B', 'kB', 'MB', 'GB']
i = 0
while n >= 1000: n /= 1000; i += 1
print('%.3g%s' % (n, units[i]))")
  run_tug history --format '{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}' hist:1
  assert_output "${id:7:12}|/bin/sh -c #(nop)  CMD [\"cat\" \"/greeting\"]|0B|
<missing>|/bin/sh -c echo history-greeting-step > /gre…|22B|buildkit.dockerfile.v0
<missing>|/bin/sh -c #(nop)  ENV GREETING=history-gree…|0B|
<missing>|/bin/sh -c #(nop) ADD file:4a6f2b in / |$base|"
  run_tug history --no-trunc --format '{{.CreatedBy}}' hist:1
  assert_line "/bin/sh -c echo history-greeting-step > /greeting && chmod 0644 /greeting"
  run_tug history -H=false --format '{{.CreatedAt}} {{.Size}}' hist:1
  assert_equal "${lines[1]}" "$(TZ=${TZ:-} date -d 2023-11-14T22:13:22Z +%Y-%m-%dT%H:%M:%S%:z | sed 's/+00:00$/Z/') 22" \
    "second row, -H=false"
  run_tug history hist:1
  [[ ${lines[0]} =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]] || fail "header is '${lines[0]}'"
  [[ ${lines[1]} =~ ^${id:7:12}\ +[0-9]+\ (years|months)\ ago\ + ]] || fail "top row is '${lines[1]}'"
  [[ ${lines[2]} =~ ^\<missing\>\ +.*\ 22B\ +buildkit.dockerfile.v0$ ]] || fail "second row is '${lines[2]}'"
}

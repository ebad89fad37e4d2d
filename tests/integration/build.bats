#!/usr/bin/env bats
# `tug build`: Dockerfiles built into images that are then run and inspected, the layer cache
# (what keeps it and what invalidates it, step by step), multi-stage builds, ONBUILD, and bad
# input (an error naming file and line, exit 125, nothing left behind).

load helpers

setup_file() { tug_setup_file; }

# ctx DIR: a fresh build context in the test's temp dir; prints its path.
ctx() {
  local d=$BATS_TEST_TMPDIR/$1
  mkdir -p "$d"
  echo "$d"
}

# cached_steps: how many "Using cache" lines the last build printed.
cached_steps() { grep -c -- '---> Using cache' <<<"$output" || true; }

@test "build: each instruction reaches the image's files and config; the image runs" {
  local d
  d=$(ctx app)
  echo hello > "$d/hello.txt"
  mkdir -p "$d/sub/deep" && echo inner > "$d/sub/deep/inner.txt"
  cat >"$d/Dockerfile" <<'EOF'
FROM busybox:test
ARG GREETING=hi
ENV APP=/app MODE=prod
WORKDIR $APP
COPY hello.txt .
COPY sub /app/sub/
RUN echo "$GREETING from $MODE" > /app/run.txt && cat /app/hello.txt
LABEL org.example.name="tug test" version=1
EXPOSE 80 53/udp
VOLUME /data
STOPSIGNAL SIGUSR1
HEALTHCHECK --interval=5s --retries=2 CMD test -f /app/run.txt
USER 1000:1000
ENTRYPOINT ["cat"]
CMD ["/app/run.txt"]
EOF
  run_tug build -t app:1 "$d"
  assert_output_matches 'Step 1/15 : FROM busybox:test'
  assert_output_matches 'Step 7/15 : RUN echo "\$GREETING from \$MODE" > /app/run.txt && cat /app/hello.txt'
  [[ $output == *$'\nhello\n'* ]] || fail "the RUN step's output is not shown"
  assert_output_matches 'Successfully built [0-9a-f]{12}'
  assert_output_matches 'Successfully tagged app:1'

  # As root: with a single id mapping, user 1000 cannot exist in a container.
  run_tug run --rm -u 0 app:1
  assert_output "hi from prod"
  run_tug run --rm -u 0 --entrypoint cat app:1 /app/sub/deep/inner.txt
  assert_output inner
  run_tug image inspect -f '{{json .Config.Env}}|{{.Config.WorkingDir}}|{{json .Config.ExposedPorts}}|{{json .Config.Volumes}}|{{.Config.StopSignal}}|{{.Config.User}}|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}|{{json .Config.Labels}}' app:1
  assert_output '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","APP=/app","MODE=prod"]|/app|{"53/udp":{},"80/tcp":{}}|{"/data":{}}|SIGUSR1|1000:1000|["cat"]|["/app/run.txt"]|{"org.example.name":"tug test","version":"1"}'
  run_tug image inspect -f '{{json .Config.Healthcheck}}' app:1
  assert_output '{"Test":["CMD-SHELL","test -f /app/run.txt"],"Interval":5000000000,"Retries":2}'
  # Three layers on busybox's one: two COPY and one RUN; ARG, ENV... add none.
  run_tug image inspect -f '{{len .RootFS.Layers}}' app:1
  assert_output 4
  # The build's step containers are gone.
  run_tug ps -a -q
  assert_output ""
}

@test "build: .dockerignore keeps files out, ! re-includes; a COPY into /tmp keeps its mode" {
  local d
  d=$(ctx ignore)
  mkdir -p "$d/logs" "$d/src"
  echo a > "$d/src/a.go" && echo key > "$d/secret.key" && echo l > "$d/logs/x.log" && echo keep > "$d/logs/keep.log"
  printf '*.key\nlogs/*.log\n!logs/keep.log\n' >"$d/.dockerignore"
  cat >"$d/Dockerfile" <<'EOF'
FROM busybox:test
COPY . /ctx/
COPY src/a.go /tmp/
RUN cd /ctx && find . -type f | sort && stat -c %a /tmp
EOF
  run_tug build -t ign "$d"
  [[ $output == *"./.dockerignore"$'\n'"./Dockerfile"$'\n'"./logs/keep.log"$'\n'"./src/a.go"$'\n'"1777"* ]] ||
    fail "unexpected context in the image: $output"
}

@test "build: the cache reuses steps until the first that changed, and never lies" {
  local d id1 id2
  d=$(ctx cache)
  echo one > "$d/a.txt" && echo unrelated > "$d/other.txt"
  cat >"$d/Dockerfile" <<'EOF'
FROM busybox:test
RUN echo first > /first
COPY a.txt /a.txt
ARG V=1
RUN echo "v=$V" > /v && cat /a.txt
CMD ["cat", "/v", "/a.txt"]
EOF
  run_tug build -t c:1 "$d"
  assert_equal "$(cached_steps)" 0 "cached steps of the first build"
  id1=$(tug image inspect -f '{{.Id}}' c:1)
  # Unchanged: every layer step from the cache, the same image.
  run_tug build -t c:1 "$d"
  assert_equal "$(cached_steps)" 3 "cached steps, nothing changed"
  assert_equal "$(tug image inspect -f '{{.Id}}' c:1)" "$id1" "image ID of an unchanged build"
  # A file no step copies: still all cached.
  echo changed > "$d/other.txt"
  run_tug build -t c:1 "$d"
  assert_equal "$(cached_steps)" 3 "cached steps after touching an unrelated file"
  # The copied file changed: the first RUN is kept, the COPY and what follows run again.
  echo two > "$d/a.txt"
  run_tug build -t c:1 "$d"
  assert_equal "$(cached_steps)" 1 "cached steps after changing a copied file"
  [[ $output == *$'\ntwo\n'* ]] || fail "the last RUN did not run again"
  run_tug run --rm c:1
  assert_output $'v=1\ntwo'
  # A build arg changes the RUNs after its ARG line (they see it in their environment), and
  # only those.
  run_tug build --build-arg V=2 -t c:2 "$d"
  assert_equal "$(cached_steps)" 2 "cached steps with a new build arg"
  run_tug run --rm c:2
  assert_output $'v=2\ntwo'
  # --no-cache runs everything.
  run_tug build --no-cache -t c:3 "$d"
  assert_equal "$(cached_steps)" 0 "cached steps with --no-cache"
  id2=$(tug image inspect -f '{{.Id}}' c:1)
  [ "$id1" != "$id2" ] || fail "a changed input gave the old image"
}

@test "build: with SOURCE_DATE_EPOCH the same input twice gives the same digests, RUN layers included" {
  local d
  d=$(ctx repro)
  echo data > "$d/f" && mkdir "$d/dir" && echo x > "$d/dir/x"
  printf 'FROM busybox:test\nCOPY f dir /out/\nRUN mkdir -p /gen && echo made > /gen/file\nENV A=1\n' >"$d/Dockerfile"
  SOURCE_DATE_EPOCH=1700000000 run_tug build --no-cache -q "$d"
  local first=$output
  touch "$d/f" "$d/dir/x"
  SOURCE_DATE_EPOCH=1700000000 run_tug build --no-cache -q "$d"
  assert_equal "$output" "$first" "image ID of the second build"
  assert_output_matches '^sha256:[0-9a-f]{64}$'
}

@test "build: multi-stage: COPY --from a stage into FROM scratch, --target, stages not needed are skipped" {
  local d
  d=$(ctx multi)
  cat >"$d/Dockerfile" <<'EOF'
FROM busybox:test AS builder
RUN mkdir -p /out && echo built > /out/artifact

FROM busybox:test AS unused
RUN echo this stage should not run && exit 1

FROM scratch
COPY --from=builder /out/artifact /artifact
COPY --from=0 /bin/busybox /bin/busybox
ENTRYPOINT ["/bin/busybox"]
CMD ["cat", "/artifact"]
EOF
  run_tug build -t ms:1 "$d"
  [[ $output != *"should not run"* ]] || fail "a stage the target does not need was built"
  run_tug run --rm ms:1
  assert_output built
  run_tug image inspect -f '{{len .RootFS.Layers}}' ms:1
  assert_output 2
  run_tug build -q --target builder -t ms:builder "$d"
  run_tug run --rm ms:builder cat /out/artifact
  assert_output built
}

@test "build: stages that do not depend on each other build at the same time; a failing one fails the build" {
  local d port
  d=$(ctx parallel)
  port=$(free_port)
  # Stage a waits for a message that only stage b sends: built one after the other, a would
  # wait out its timeout and fail.
  cat >"$d/Dockerfile" <<'EOF'
FROM busybox:test AS a
ARG PORT
RUN timeout 30 nc -l -p $PORT > /got && test -s /got

FROM busybox:test AS b
ARG PORT
RUN for i in $(seq 300); do echo from-b | nc 127.0.0.1 $PORT && exit 0; sleep 0.1; done; exit 1

FROM busybox:test
COPY --from=a /got /got
COPY --from=b /etc/passwd /b-passwd
CMD ["cat", "/got"]
EOF
  run_tug build --no-cache --network host --build-arg PORT="$port" -t par:1 "$d"
  run_tug run --rm par:1
  assert_output from-b
  printf 'FROM busybox:test AS a\nRUN exit 4\nFROM busybox:test AS b\nRUN true\nFROM busybox:test\nCOPY --from=a /etc/passwd /a\nCOPY --from=b /etc/passwd /b\n' >"$d/Dockerfile"
  run_tug -1 build --no-cache -t par:2 "$d"
  assert_error_first_line 'tug: Dockerfile:2: process "/bin/sh -c exit 4" did not complete successfully: exit code: 4'
}

@test "build: ONBUILD triggers run in the child build; USER owns what RUN and COPY --chown write" {
  local d
  d=$(ctx onbuild)
  echo payload > "$d/payload"
  printf 'FROM busybox:test\nONBUILD COPY payload /onbuild/payload\nONBUILD RUN echo triggered > /onbuild/ran\n' \
    >"$d/Dockerfile.base"
  run_tug build -q -t base:1 -f "$d/Dockerfile.base" "$d"
  run_tug image inspect -f '{{json .Config.OnBuild}}' base:1
  assert_output '["COPY payload /onbuild/payload","RUN echo triggered > /onbuild/ran"]'
  printf 'FROM base:1\nCOPY --chown=1000:1000 payload /home/payload\nUSER 1000\nRUN id -u > /tmp/by\n' >"$d/Dockerfile"
  if ! has_full_mapping; then
    # One mapped id: the RUN as user 1000 cannot start, and says why.
    run_tug -1 build -t child:1 "$d"
    [[ $stderr == *"user 1000 (uid 1000, gid 1000) is not mapped in this user namespace (id mapping: single)"* ]] ||
      fail "no reason given: $stderr"
    assert_error_first_line "tug: user 1000"
    printf 'FROM base:1\nRUN echo 1000 > /tmp/by\n' >"$d/Dockerfile"
  fi
  run_tug build -t child:1 "$d"
  run_tug run --rm -u 0 child:1 cat /onbuild/payload /onbuild/ran /tmp/by
  assert_output $'payload\ntriggered\n1000'
  run_tug image inspect -f '{{json .Config.OnBuild}}' child:1
  assert_output null
  if has_full_mapping; then
    run_tug run --rm -u 0 child:1 stat -c '%u:%g' /home/payload /tmp/by
    assert_output $'1000:1000\n1000:1000'
  fi
}

@test "build: bad input names the file and line, exits 125 and leaves nothing behind" {
  local d
  d=$(ctx bad)
  ln -s /etc "$d/etclink"
  printf 'FROM busybox:test\nRUNN x\n' >"$d/Dockerfile"
  run_tug -125 build -t bad:1 "$d"
  assert_error_first_line "tug: Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)"
  printf 'FROM busybox:test\nCOPY ../outside /x\n' >"$d/Dockerfile"
  run_tug -125 build -t bad:1 "$d"
  assert_error_first_line "tug: Dockerfile:2: forbidden path outside the build context: ../outside"
  # Through a symlink out of the context: nothing is followed, so there is nothing there.
  printf 'FROM busybox:test\nCOPY etclink/passwd /x\n' >"$d/Dockerfile"
  run_tug -125 build -t bad:1 "$d"
  assert_error_first_line 'tug: Dockerfile:2: failed to compute cache key: "/etclink/passwd": not found'
  printf 'FROM busybox:test\nRUN <<EOF\necho never ends\n' >"$d/Dockerfile"
  run_tug -125 build -t bad:1 "$d"
  assert_error_first_line "tug: Dockerfile:2:"
  printf 'FROM busybox:test\nCOPY a b /notadir\n' >"$d/Dockerfile"
  touch "$d/a" "$d/b"
  run_tug -125 build -t bad:1 "$d"
  assert_error_first_line "When using COPY with more than one source file, the destination must be a directory and end with a /"
  # A failing RUN: docker's message and exit code 1.
  printf 'FROM busybox:test\nRUN echo out && exit 3\n' >"$d/Dockerfile"
  run_tug -1 build -t bad:1 "$d"
  assert_error_first_line 'tug: Dockerfile:2: process "/bin/sh -c echo out && exit 3" did not complete successfully: exit code: 3'
  run_tug -125 build -t bad:1 "$BATS_TEST_TMPDIR/no-such-dir"
  run_tug -125 build -t 'Bad:Tag' "$d"
  assert_error_first_line 'invalid argument "Bad:Tag" for "-t, --tag" flag: invalid reference format'
  # Nothing left: no image, no step container.
  run_tug -125 image inspect bad:1
  run_tug ps -a -q
  assert_output ""
}

@test "build: ADD extracts a local tar (gzip too) into the destination, COPY copies it as is" {
  local d
  d=$(ctx add)
  mkdir -p "$d/tree/etc" && echo conf > "$d/tree/etc/app.conf" && echo top > "$d/tree/top.txt"
  tar -C "$d/tree" -cf "$d/plain.tar" . && tar -C "$d/tree" -czf "$d/packed.tgz" etc
  cat >"$d/Dockerfile" <<'EOF'
FROM busybox:test
ADD plain.tar /opt/plain/
ADD packed.tgz /opt/gz
COPY packed.tgz /opt/raw/
EOF
  run_tug build -q -t add:1 "$d"
  run_tug run --rm add:1 sh -c 'cat /opt/plain/top.txt /opt/plain/etc/app.conf /opt/gz/etc/app.conf; ls /opt/raw'
  assert_output $'top\nconf\nconf\npacked.tgz'
}

@test "build: heredocs: RUN <<EOF runs the script, COPY <<EOF writes a file, \$ expanded unless quoted" {
  local d
  d=$(ctx heredoc)
  cat >"$d/Dockerfile" <<'OUTER'
FROM busybox:test
ARG WHO=tug
COPY <<EOF /etc/greeting
hello $WHO
EOF
COPY <<'EOF' /etc/raw
kept $WHO
EOF
RUN <<EOF
set -e
echo "line one" > /script.out
echo "line two" >> /script.out
EOF
CMD ["cat", "/etc/greeting", "/etc/raw", "/script.out"]
OUTER
  run_tug build -q -t here:1 "$d"
  run_tug run --rm here:1
  assert_output $'hello tug\nkept $WHO\nline one\nline two'
  run_tug run --rm here:1 stat -c %a /etc/greeting
  assert_output 644
}

@test "build: RUN --mount: a cache kept between builds, the context bound read-only, a tmpfs" {
  local d
  d=$(ctx mounts)
  echo v1 >"$d/input"
  cat >"$d/Dockerfile" <<'EOF'
FROM busybox:test
RUN --mount=type=cache,target=/cache echo run >> /cache/log && wc -l < /cache/log > /count
RUN --mount=type=bind,source=input,target=/in cat /in > /copied && ! touch /in 2>/dev/null
RUN --mount=type=tmpfs,target=/scratch echo x > /scratch/x && test -f /scratch/x
CMD ["cat", "/count", "/copied"]
EOF
  run_tug build --no-cache -q -t mnt:1 "$d"
  run_tug run --rm mnt:1
  assert_output $'1\nv1'
  # What was mounted is not in the image.
  run_tug run --rm mnt:1 sh -c 'test ! -e /cache/log && test ! -s /in && test ! -e /scratch/x && echo clean'
  assert_output clean
  # The cache outlives the build; the bound file is part of the step's cache key.
  run_tug build --no-cache -q -t mnt:2 "$d"
  run_tug run --rm mnt:2
  assert_output $'2\nv1'
  echo v2 >"$d/input"
  run_tug build -t mnt:3 "$d"
  assert_equal "$(cached_steps)" 1 "cached steps after the bound file changed"
  run_tug run --rm mnt:3
  assert_output $'2\nv2'
  printf 'FROM busybox:test\nRUN --mount=type=secret,id=tok cat /run/secrets/tok\n' >"$d/Dockerfile"
  run_tug -125 build "$d"
  assert_error_first_line "tug: Dockerfile:2: RUN --mount=type=secret is not supported yet"
  printf 'FROM busybox:test\nRUN --mount=type=bind,source=../x,target=/x true\n' >"$d/Dockerfile"
  run_tug -125 build "$d"
  assert_error_first_line 'tug: Dockerfile:2: forbidden path outside the build context: ../x'
}

@test "build: ADD of a URL (a server on 127.0.0.1): the file, mode 0600, --checksum checked, errors" {
  local d www port pid sum
  d=$(ctx url)
  www=$BATS_TEST_TMPDIR/www
  mkdir -p "$www" && echo "served over http" >"$www/data.txt"
  sum=$(sha256sum "$www/data.txt" | cut -d' ' -f1)
  port=$(free_port)
  python3 -m http.server --bind 127.0.0.1 --directory "$www" "$port" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$port/data.txt" && break; sleep 0.1; done
  printf 'FROM busybox:test\nADD http://127.0.0.1:%s/data.txt /opt/\nADD --checksum=sha256:%s http://127.0.0.1:%s/data.txt /named\n' \
    "$port" "$sum" "$port" >"$d/Dockerfile"
  run_tug build -q -t url:1 "$d"
  run_tug run --rm url:1 sh -c 'cat /opt/data.txt /named; stat -c %a /opt/data.txt'
  assert_output $'served over http\nserved over http\n600'
  printf 'FROM busybox:test\nADD --checksum=sha256:%064d http://127.0.0.1:%s/data.txt /x\n' 0 "$port" >"$d/Dockerfile"
  run_tug -125 build "$d"
  assert_error_first_line "tug: Dockerfile:2: digest mismatch sha256:$(printf '%064d' 0): sha256:$sum"
  printf 'FROM busybox:test\nADD http://127.0.0.1:%s/missing.txt /x\n' "$port" >"$d/Dockerfile"
  run_tug -125 build "$d"
  assert_error_first_line "tug: Dockerfile:2: failed to fetch http://127.0.0.1:$port/missing.txt: 404 Not Found"
  kill "$pid"
}

@test "build: -q prints the ID only, --iidfile, - reads the Dockerfile from stdin; images hides the steps" {
  local d
  d=$(ctx quiet)
  printf 'FROM busybox:test\nRUN echo loud\n' >"$d/Dockerfile"
  run_tug build -q --iidfile "$BATS_TEST_TMPDIR/iid" -t q:1 "$d"
  assert_output_matches '^sha256:[0-9a-f]{64}$'
  assert_equal "$(cat "$BATS_TEST_TMPDIR/iid")" "$output" "--iidfile"
  capture tug build -t stdin:1 - <"$d/Dockerfile"
  check_status 0
  assert_output_matches 'Successfully tagged stdin:1'
  # The RUN step's intermediate image is listed with -a only.
  run_tug images -q
  local shown=${#lines[@]}
  run_tug images -a -q
  ((${#lines[@]} > shown)) || fail "images -a does not list the intermediate images"
}

@test "build: RUN has its own network namespace (loopback only) unless --network host" {
  local d host_ifaces
  d=$(ctx net)
  printf 'FROM busybox:test\nRUN tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\\n" " "; echo\n' >"$d/Dockerfile"
  host_ifaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\n' ' ')
  run_tug build --no-cache "$d"
  [[ $output == *$'\n'"lo "$'\n'* ]] || fail "RUN did not see loopback alone: $output"
  run_tug build --no-cache --network host "$d"
  [[ $output == *$'\n'"$host_ifaces"$'\n'* ]] || fail "RUN with --network host did not see the host's interfaces ($host_ifaces): $output"
  run_tug -125 build --network bogus "$d"
  assert_error_first_line 'network mode "bogus" not supported'
}

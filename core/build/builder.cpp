// The build loop: stages in Dockerfile order (only those the target needs), each instruction
// expanded with the stage's variables, metadata applied to the config in memory, RUN and
// COPY/ADD made into layers (or taken from the cache), the target stage stored and tagged.
#include "core/build/builder.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <set>

#include "core/build/build_args.hpp"
#include "core/build/copy_step.hpp"
#include "core/build/instruction_expand.hpp"
#include "core/build/run_mounts.hpp"
#include "core/build/run_step.hpp"
#include "core/container_commit.hpp"
#include "core/container_store.hpp"
#include "core/image_archive.hpp"
#include "core/image_store.hpp"
#include "registry/manifest.hpp"
#include "registry/reference.hpp"
#include "registry/remote_file.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file_util.hpp"
#include "util/sha256.hpp"

namespace tug::build {

namespace {

struct StageState {
  std::optional<Image> image;  ///< holds the layers so far; nullopt before a scratch stage's first
  Json config;                 ///< the whole image config being built
  std::vector<LayerDescriptor> layers;
  bool cmd_set = false;  ///< CMD given in this stage (ENTRYPOINT then keeps it)
};

Json& section(Json& config) {
  if (!config.contains("config") || !config["config"].is_object()) config["config"] = Json::object();
  return config["config"];
}

std::string short_id(const std::string& id) { return id.substr(id.find(':') + 1, 12); }

std::string join(const std::vector<std::string>& parts, const char* sep = " ") {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::vector<LayerDescriptor> layers_of(const Image& image) {
  std::vector<LayerDescriptor> out;
  for (const auto& l : image.manifest.value("layers", Json::array()))
    out.push_back({l.value("mediaType", ""), l.value("digest", ""), l.value("size", int64_t{0})});
  return out;
}

std::vector<std::string> layer_dirs(const StorePaths& paths, const Json& config) {
  ImageStore images(paths);
  std::vector<std::string> out;
  if (config.contains("rootfs"))
    for (const auto& d : config["rootfs"].value("diff_ids", Json::array()))
      out.push_back(images.layer_diff_dir(d.get<std::string>()));
  return out;
}

Json scratch_config() {
  tug::Platform p = host_platform();
  Json config = {{"architecture", p.architecture},
                 {"os", p.os},
                 {"config", Json::object()},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", Json::array()}}},
                 {"history", Json::array()}};
  if (!p.variant.empty()) config["variant"] = p.variant;
  return config;
}

// SOURCE_DATE_EPOCH: every timestamp the build writes, for reproducible images.
std::optional<int64_t> source_date_epoch() {
  const char* v = std::getenv("SOURCE_DATE_EPOCH");
  if (!v || !*v) return std::nullopt;
  try {
    return std::stoll(v);
  } catch (const std::exception&) {
    fail("invalid SOURCE_DATE_EPOCH: {}", v);
  }
}

std::string timestamp(std::optional<int64_t> epoch) {
  if (!epoch) return now_rfc3339();
  std::time_t t = static_cast<std::time_t>(*epoch);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class Builder {
 public:
  Builder(const StorePaths& paths, const BuildOptions& options) : paths_(paths), options_(options) {}

  std::string run() {
    std::string file_path =
        options_.dockerfile.empty() ? options_.context_dir + "/Dockerfile" : options_.dockerfile;
    file_name_ =
        options_.dockerfile.empty() || options_.dockerfile == "-" ? "Dockerfile" : options_.dockerfile;
    std::string text;
    if (options_.dockerfile_text) {
      text = *options_.dockerfile_text;
    } else {
      auto read = read_file_if_exists(file_path);
      if (!read) fail("failed to read dockerfile: open {}: no such file or directory", file_path);
      text = *read;
    }
    dockerfile_ = parse_dockerfile(text, file_name_);
    for (const auto& w : dockerfile_.warnings) say(fmt::format("[WARNING]: {}", w));
    if (dockerfile_.stages.empty()) fail("{}: no build stage in current context", file_name_);
    const Stage& target = target_stage(dockerfile_, options_.target);
    size_t target_index = static_cast<size_t>(&target - dockerfile_.stages.data());

    for (const auto& a : options_.build_args) {
      auto eq = a.find('=');
      if (eq != std::string::npos) {
        build_args_[a.substr(0, eq)] = a.substr(eq + 1);
      } else if (const char* v = std::getenv(a.c_str())) {
        build_args_[a] = v;
      }
    }
    tug::Platform host = host_platform();
    build::Platform platform{host.os, host.architecture, host.variant};
    global_ = global_scope(dockerfile_, build_args_, automatic_platform_args(platform, platform));
    context_ = list_build_context(options_.context_dir, options_.dockerfile_text ? "" : file_path);
    char* real = ::realpath(options_.context_dir.c_str(), nullptr);
    if (!real) fail_errno("build context {}", options_.context_dir);
    context_abs_ = real;
    std::free(real);
    epoch_ = source_date_epoch();

    std::vector<bool> needed = stages_needed(target_index);
    for (size_t i = 0; i <= target_index; ++i)
      if (needed[i]) total_steps_ += 1 + static_cast<int>(dockerfile_.stages[i].instructions.size());

    results_.resize(dockerfile_.stages.size());
    build_stages(needed, target_index);
    std::string final_id = results_[target_index];
    if (options_.quiet) {
      std::printf("%s\n", final_id.c_str());
    } else {
      std::printf("Successfully built %s\n", short_id(final_id).c_str());
      for (const auto& t : options_.tags)
        std::printf("Successfully tagged %s\n", parse_reference(t).familiar().c_str());
    }
    std::fflush(stdout);
    return final_id;
  }

 private:
  void say(const std::string& line) {
    if (options_.quiet) return;
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }

  // The stage a FROM or COPY --from names (by name or index), if it is an earlier stage.
  std::optional<size_t> stage_ref(const std::string& name, size_t before) const {
    if (auto i = find_stage(dockerfile_, name); i && *i < before) return i;
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
      size_t i = std::stoul(name);
      if (i < before) return i;
    }
    return std::nullopt;
  }

  std::vector<bool> stages_needed(size_t target) const {
    std::vector<bool> needed(dockerfile_.stages.size(), false);
    needed[target] = true;
    for (size_t i = target + 1; i-- > 0;)
      if (needed[i])
        for (size_t d : stage_deps(i)) needed[d] = true;
    return needed;
  }

  // The earlier stages stage `i` starts from or copies from.
  std::vector<size_t> stage_deps(size_t i) const {
    std::vector<size_t> deps;
    const Stage& s = dockerfile_.stages[i];
    if (auto ref = stage_ref(expand_from(dockerfile_, s, global_).image, i)) deps.push_back(*ref);
    for (const auto& ins : s.instructions)
      if (auto c = ins.as<CopyInstruction>(); c && !c->from.empty())
        if (auto ref = stage_ref(c->from, i)) deps.push_back(*ref);
    return deps;
  }

  // Stages whose dependencies are built run side by side, each in a forked builder (the store
  // is safe for parallel tugs); a stage alone, and the target, run here. Each child reports
  // its image ID through a pipe; the first failure fails the build.
  void build_stages(const std::vector<bool>& needed, size_t target) {
    std::vector<int> first_step(needed.size(), 0);
    for (size_t i = 0, n = 0; i < needed.size(); ++i) {
      first_step[i] = static_cast<int>(n);
      if (needed[i]) n += 1 + dockerfile_.stages[i].instructions.size();
    }
    std::vector<bool> done(needed.size(), false);
    while (!done[target]) {
      std::vector<size_t> ready;
      for (size_t i = 0; i <= target; ++i) {
        if (!needed[i] || done[i]) continue;
        auto deps = stage_deps(i);
        if (std::all_of(deps.begin(), deps.end(), [&](size_t d) { return done[d]; })) ready.push_back(i);
      }
      if (ready.empty()) fail("{}: the stages depend on each other in a circle", file_name_);
      if (ready.size() == 1 || ready.front() == target) {
        step_ = first_step[ready.front()];
        results_[ready.front()] = build_stage(ready.front(), ready.front() == target);
        done[ready.front()] = true;
        continue;
      }
      std::erase(ready, target);
      struct Child {
        size_t stage;
        pid_t pid;
        UniqueFd result;
      };
      std::vector<Child> children;
      std::fflush(nullptr);
      for (size_t i : ready) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) fail_errno("pipe");
        UniqueFd read_end(fds[0]), write_end(fds[1]);
        pid_t pid = ::fork();
        if (pid < 0) fail_errno("fork");
        if (pid == 0) {
          read_end.reset();
          // "sha256:..." or "<exit code> <message>".
          std::string report;
          try {
            step_ = first_step[i];
            report = build_stage(i, false);
          } catch (const Error& e) {
            report = fmt::format("{} {}", e.exit_code(), e.what());
          } catch (const std::exception& e) {
            report = fmt::format("125 {}", e.what());
          }
          std::fflush(nullptr);
          (void)!::write(write_end.get(), report.data(), report.size());
          ::_exit(0);
        }
        children.push_back({i, pid, std::move(read_end)});
      }
      std::optional<Error> failure;
      for (auto& c : children) {
        std::string report;
        char buf[4096];
        ssize_t n;
        while ((n = ::read(c.result.get(), buf, sizeof buf)) != 0) {
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) break;
          report.append(buf, static_cast<size_t>(n));
        }
        int status = 0;
        while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (report.starts_with("sha256:")) {
          results_[c.stage] = report;
          done[c.stage] = true;
        } else if (!failure) {
          auto space = report.find(' ');
          failure = space == std::string::npos
                        ? Error(fmt::format("the build of stage {} died", c.stage))
                        : Error(report.substr(space + 1), std::atoi(report.substr(0, space).c_str()));
        }
      }
      if (failure) throw *failure;
    }
  }

  std::string step_header(const Instruction& ins) {
    return fmt::format("Step {}/{} : {}", ++step_, total_steps_, ins.source);
  }

  std::string cache_path(const std::string& key) const { return paths_.root + "/cache/build/" + key; }

  std::optional<Image> cached(const std::string& key) const {
    if (options_.no_cache) return std::nullopt;
    auto id = read_file_if_exists(cache_path(key));
    if (!id) return std::nullopt;
    ImageStore images(paths_);
    if (!images.has_complete_image(*id)) return std::nullopt;
    return images.find(*id);
  }

  void remember(const std::string& key, const std::string& image_id) const {
    make_dirs(paths_.root + "/cache/build", 0700);
    write_file_atomic(cache_path(key), image_id, 0600, false);
  }

  std::string step_key(const StageState& st, const std::string& what) const {
    Sha256 h;
    h.update(st.image ? st.image->id : std::string("scratch"));
    h.update("\n");
    h.update(st.config.contains("config") ? st.config.at("config").dump() : "{}");
    h.update("\n");
    h.update(what);
    return h.hex();
  }

  // A metadata step is dated like the image it changes (a new layer is dated now): an unchanged
  // Dockerfile over cached layers gives the very same image ID.
  void add_history(StageState& st, const std::string& created_by, bool empty_layer) {
    if (!st.config.contains("history") || !st.config["history"].is_array())
      st.config["history"] = Json::array();
    std::string created =
        epoch_ || !empty_layer ? timestamp(epoch_) : st.config.value("created", timestamp(epoch_));
    Json entry = {{"created", created}, {"created_by", created_by}, {"comment", "buildkit.dockerfile.v0"}};
    if (empty_layer) entry["empty_layer"] = true;
    st.config["history"].push_back(entry);
  }

  // A new layer on top of the stage: recorded as an intermediate image and in the cache.
  void add_layer(StageState& st, const std::optional<ImportedLayer>& layer, const std::string& created_by,
                 const std::string& key) {
    if (layer) {
      st.config["rootfs"]["diff_ids"].push_back(layer->diff_id);
      st.layers.push_back({layer->media_type, layer->blob_digest, layer->blob_size});
    }
    st.config["created"] = timestamp(epoch_);
    add_history(st, created_by, !layer);
    std::string id = store_image(paths_, st.config, st.layers, {}, true);
    st.image = ImageStore(paths_).find(id);
    remember(key, id);
    say(fmt::format(" ---> {}", short_id(id)));
  }

  void adopt(StageState& st, Image image) {
    st.config = image.config;
    st.layers = layers_of(image);
    st.image = std::move(image);
    say(" ---> Using cache");
    say(fmt::format(" ---> {}", short_id(st.image->id)));
  }

  std::vector<std::string> shell_of(const Json& config_section) const {
    std::vector<std::string> shell = json_string_array(config_section.value("Shell", Json()));
    if (shell.empty()) shell = {"/bin/sh", "-c"};
    return shell;
  }

  std::vector<std::string> command_argv(const CommandLine& c, const Json& config_section) const {
    if (!c.shell_form) return c.args;
    std::vector<std::string> argv = shell_of(config_section);
    argv.push_back(c.args.empty() ? "" : c.args.front());
    return argv;
  }

  std::string build_stage(size_t index, bool is_target) {
    const Stage& stage = dockerfile_.stages[index];
    ExpandedFrom from = expand_from(dockerfile_, stage, global_);
    StageState st;
    if (auto ref = stage_ref(from.image, index)) {
      st.image = ImageStore(paths_).find(results_[*ref]);
    } else if (from.image == "scratch") {
      st.config = scratch_config();
    } else {
      SilentObserver silent;
      TransferObserver& progress =
          options_.pull_progress && !options_.quiet ? *options_.pull_progress : silent;
      st.image =
          image_for_container(paths_, from.image, options_.pull ? PullPolicy::kAlways : PullPolicy::kMissing,
                              options_.pull_options, progress);
    }
    // The base image's ONBUILD triggers run first (counted as steps), then are not inherited.
    std::vector<Instruction> instructions;
    if (st.image)
      for (const auto& trigger : json_string_array(section(st.image->config).value("OnBuild", Json())))
        for (auto& ins : parse_instructions(trigger, file_name_)) instructions.push_back(std::move(ins));
    total_steps_ += static_cast<int>(instructions.size());
    say(fmt::format("Step {}/{} : {}", ++step_, total_steps_, stage.source));
    if (st.image) {
      st.config = st.image->config;
      for (const char* stale : {"container", "container_config", "docker_version", "comment", "author"})
        st.config.erase(stale);
      st.layers = layers_of(*st.image);
      say(fmt::format(" ---> {}", short_id(st.image->id)));
    }
    if (!st.config.contains("rootfs") || !st.config["rootfs"].is_object())
      st.config["rootfs"] = {{"type", "layers"}, {"diff_ids", Json::array()}};
    Json& cfg = section(st.config);
    // As BuildKit does, an image without PATH gets the default one.
    std::vector<std::string> env = json_string_array(cfg.value("Env", Json()));
    if (std::none_of(env.begin(), env.end(), [](const std::string& e) { return e.starts_with("PATH="); })) {
      env.insert(env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
      cfg["Env"] = env;
    }
    StageScope scope(dockerfile_, build_args_, global_, env);

    cfg.erase("OnBuild");
    instructions.insert(instructions.end(), stage.instructions.begin(), stage.instructions.end());

    for (const auto& ins : instructions) step(st, scope, ins, index);

    if (is_target) {
      Json& c = section(st.config);
      for (const auto& l : options_.labels) {
        auto eq = l.find('=');
        if (!c.contains("Labels") || !c["Labels"].is_object()) c["Labels"] = Json::object();
        c["Labels"][l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
      }
    }
    if (epoch_ || !st.config.contains("created")) st.config["created"] = timestamp(epoch_);
    std::vector<std::string> tags;
    if (is_target)
      for (const auto& t : options_.tags) tags.push_back(parse_reference(t).full());
    return store_image(paths_, st.config, st.layers, tags, !is_target);
  }

  void step(StageState& st, StageScope& scope, const Instruction& raw, size_t stage_index) {
    say(step_header(raw));
    Instruction ins = expand_instruction(dockerfile_, raw, scope.variables());
    scope.apply(raw);
    Json& cfg = section(st.config);
    std::string text = raw.source;
    auto metadata = [&] { add_history(st, text, true); };

    if (ins.as<ArgInstruction>()) return;
    if (auto e = ins.as<EnvInstruction>()) {
      (void)e;
      cfg["Env"] = scope.image_env();
      return metadata();
    }
    if (auto l = ins.as<LabelInstruction>()) {
      if (!cfg.contains("Labels") || !cfg["Labels"].is_object()) cfg["Labels"] = Json::object();
      for (const auto& kv : l->labels) cfg["Labels"][kv.key] = kv.value;
      return metadata();
    }
    if (auto w = ins.as<WorkdirInstruction>()) {
      std::string path = w->path;
      if (!path.starts_with('/')) path = cfg.value("WorkingDir", "/") + "/" + path;
      std::string cleaned = clean_path(path);
      cfg["WorkingDir"] = cleaned.starts_with('/') ? cleaned : "/" + cleaned;
      return metadata();
    }
    if (auto u = ins.as<UserInstruction>()) {
      cfg["User"] = u->user;
      return metadata();
    }
    if (auto x = ins.as<ExposeInstruction>()) {
      if (!cfg.contains("ExposedPorts") || !cfg["ExposedPorts"].is_object())
        cfg["ExposedPorts"] = Json::object();
      for (auto port : x->ports) {
        if (port.find('/') == std::string::npos) port += "/tcp";
        cfg["ExposedPorts"][port] = Json::object();
      }
      return metadata();
    }
    if (auto v = ins.as<VolumeInstruction>()) {
      if (!cfg.contains("Volumes") || !cfg["Volumes"].is_object()) cfg["Volumes"] = Json::object();
      for (const auto& p : v->paths) cfg["Volumes"][p] = Json::object();
      return metadata();
    }
    if (auto s = ins.as<StopsignalInstruction>()) {
      cfg["StopSignal"] = s->signal;
      return metadata();
    }
    if (auto c = ins.as<CmdInstruction>()) {
      cfg["Cmd"] = command_argv(c->command, cfg);
      st.cmd_set = true;
      return metadata();
    }
    if (auto e = ins.as<EntrypointInstruction>()) {
      cfg["Entrypoint"] = command_argv(e->command, cfg);
      if (!st.cmd_set) cfg["Cmd"] = nullptr;
      return metadata();
    }
    if (auto s = ins.as<ShellInstruction>()) {
      cfg["Shell"] = s->shell;
      return metadata();
    }
    if (auto h = ins.as<HealthcheckInstruction>()) {
      Json hc = {{"Test", h->test}};
      if (h->interval_ns) hc["Interval"] = h->interval_ns;
      if (h->timeout_ns) hc["Timeout"] = h->timeout_ns;
      if (h->start_period_ns) hc["StartPeriod"] = h->start_period_ns;
      if (h->start_interval_ns) hc["StartInterval"] = h->start_interval_ns;
      if (h->retries) hc["Retries"] = h->retries;
      cfg["Healthcheck"] = hc;
      return metadata();
    }
    if (auto o = ins.as<OnbuildInstruction>()) {
      if (!cfg.contains("OnBuild") || !cfg["OnBuild"].is_array()) cfg["OnBuild"] = Json::array();
      cfg["OnBuild"].push_back(o->trigger);
      return metadata();
    }
    if (auto m = ins.as<MaintainerInstruction>()) {
      st.config["author"] = m->name;
      return metadata();
    }
    if (auto r = ins.as<RunInstruction>()) return run(st, scope, *r, raw);
    if (auto c = ins.as<CopyInstruction>()) return copy(st, *c, c->from, raw, stage_index, "COPY");
    if (auto a = ins.as<AddInstruction>()) return add(st, *a, raw, stage_index);
    fail_at_line(file_name_, raw.lines.first, fmt::format("{} is not supported yet", raw.keyword));
  }

  void run(StageState& st, StageScope& scope, const RunInstruction& r, const Instruction& raw) {
    Json& cfg = section(st.config);
    CommandLine command = r.command;
    if (!r.heredocs.empty()) {
      // `RUN <<EOF` alone: the body is the script the shell runs.
      std::string only = command.args.empty() ? "" : command.args.front();
      while (!only.empty() && (only.back() == ' ' || only.back() == '\n')) only.pop_back();
      if (r.heredocs.size() != 1 || !only.starts_with("<<") || only.find(' ') != std::string::npos)
        fail_at_line(file_name_, raw.lines.first,
                     "RUN with a heredoc inside a longer command is not supported yet");
      command.args = {r.heredocs.front().content};
    }
    if (!st.image)
      fail_at_line(file_name_, raw.lines.first,
                   "RUN in a stage with no files (FROM scratch): no shell to run");
    std::vector<std::string> argv = command_argv(command, cfg);
    std::vector<std::string> env = scope.run_environment();
    std::string created_by = "RUN " + join(argv) + " # buildkit";
    std::string network = r.network == "default" ? options_.network : r.network;
    // --mount: a bind mount's content is part of the key (a cache mount's is not: it is a cache).
    std::vector<RunMount> mounts;
    std::string mount_key;
    for (const auto& spec : r.mounts) {
      mounts.push_back(parse_run_mount(spec, file_name_, raw.lines.first));
      mount_key += spec + "\n";
      if (mounts.back().type == "bind") {
        FileCopy bound;
        bound.sources = {mounts.back().source.empty() ? "." : mounts.back().source};
        bound.destination = "/mnt/";
        CopyInputs inputs;
        inputs.context_dir = options_.context_dir;
        inputs.context = &context_;
        mount_key +=
            copy_content_digest(plan_copy_step(bound, inputs, file_name_, raw.lines.first), inputs) + "\n";
      }
    }
    std::string key = step_key(st, created_by + "\n" + join(env, "\n") + "\n" + network + "\n" + mount_key);
    if (auto hit = cached(key)) return adopt(st, std::move(*hit));

    RunStep run_step;
    run_step.image_id = st.image->id;
    run_step.argv = argv;
    run_step.env = env;
    run_step.workdir = cfg.value("WorkingDir", "");
    run_step.user = cfg.value("User", "");
    run_step.network = network;
    RunMountArgs mount_args = run_mount_args(
        mounts, context_abs_, context_, paths_.root + "/cache/build-mounts", file_name_, raw.lines.first);
    run_step.volumes = mount_args.volumes;
    run_step.tmpfs = mount_args.tmpfs;
    run_step.quiet = options_.quiet;
    run_step.mtime = epoch_;
    std::optional<FileLock> lock;
    RunResult result = run_build_step(
        paths_, run_step, lock, [&](const std::string& id) { say(fmt::format(" ---> Running in {}", id)); });
    if (result.exit_code != 0)
      throw Error(fmt::format("{}:{}: process \"{}\" did not complete successfully: exit code: {}",
                              file_name_, raw.lines.first, join(argv), result.exit_code),
                  1);
    add_layer(st, result.layer, created_by, key);
  }

  // ADD: URLs are fetched (checked against --checksum) and added as files of mode 0600, local
  // sources go through COPY's rules (archives extracted).
  void add(StageState& st, const AddInstruction& a, const Instruction& raw, size_t stage_index) {
    AddInstruction local = a;
    local.sources.clear();
    std::set<std::string> fetched;
    for (const auto& s : a.sources) {
      if (s.starts_with("git@") || s.ends_with(".git"))
        fail_at_line(file_name_, raw.lines.first, "ADD of a git repository is not supported yet");
      if (!s.starts_with("http://") && !s.starts_with("https://")) {
        local.sources.push_back(s);
        continue;
      }
      RemoteFile file;
      try {
        file = fetch_remote_file(s);
      } catch (const Error& e) {
        fail_at_line(file_name_, raw.lines.first, e.what());
      }
      if (!a.checksum.empty() && sha256_digest(file.content) != a.checksum)
        fail_at_line(file_name_, raw.lines.first,
                     fmt::format("digest mismatch {}: {}", a.checksum, sha256_digest(file.content)));
      if (file.name.empty())
        fail_at_line(file_name_, raw.lines.first,
                     fmt::format("cannot determine a file name from the URL {}", s));
      local.inline_sources.push_back(Heredoc{file.name, std::move(file.content), false, false, 0});
      fetched.insert(file.name);
    }
    if (!a.checksum.empty() && fetched.empty())
      fail_at_line(file_name_, raw.lines.first, "checksum can't be specified for non-HTTP(S) sources");
    copy(st, local, "", raw, stage_index, "ADD", fetched);
  }

  void copy(StageState& st, const FileCopy& c, const std::string& from, const Instruction& raw,
            size_t stage_index, const char* keyword, const std::set<std::string>& fetched = {}) {
    Json& cfg = section(st.config);
    CopyInputs inputs;
    inputs.context_dir = options_.context_dir;
    inputs.context = &context_;
    inputs.image_layers = layer_dirs(paths_, st.config);
    inputs.workdir = cfg.value("WorkingDir", "/");
    if (inputs.workdir.empty()) inputs.workdir = "/";
    std::string from_id;
    if (!from.empty()) {
      std::optional<Image> source;
      if (auto ref = stage_ref(from, stage_index)) {
        source = ImageStore(paths_).find(results_[*ref]);
      } else if (find_stage(dockerfile_, from)) {
        fail_at_line(file_name_, raw.lines.first,
                     fmt::format("stage \"{}\" is not built before this one", from));
      } else {
        try {
          SilentObserver silent;
          source = image_for_container(paths_, from, PullPolicy::kMissing, options_.pull_options, silent);
        } catch (const Error& e) {
          fail_at_line(file_name_, raw.lines.first, fmt::format("COPY --from={}: {}", from, e.what()));
        }
      }
      from_id = source->id;
      inputs.from_layers = layer_dirs(paths_, source->config);
      // An image with no layer (scratch) has nothing to copy from.
      if (inputs.from_layers.empty())
        fail_at_line(file_name_, raw.lines.first,
                     fmt::format("COPY --from={}: the image has no files", from));
    }
    CopyPlan plan =
        plan_copy_step(c, inputs, file_name_, raw.lines.first, std::string_view(keyword) == "ADD");
    for (auto& item : plan.items)
      if (item.inline_content && fetched.count(item.source)) item.inline_mode = 0600;
    std::string created_by =
        fmt::format("{} {}{} {} # buildkit", keyword, from.empty() ? "" : "--from=" + from + " ",
                    join(c.sources), c.destination);
    std::string key = step_key(st, created_by + "\n" + from_id + "\n" + copy_content_digest(plan, inputs));
    if (auto hit = cached(key)) return adopt(st, std::move(*hit));
    FileLock lock(paths_.store_lock(), FileLock::Mode::kShared);
    ImportedLayer layer = write_copy_layer(paths_, plan, inputs, epoch_);
    add_layer(st, layer, created_by, key);
  }

  const StorePaths& paths_;
  const BuildOptions& options_;
  std::string file_name_;
  Dockerfile dockerfile_;
  VariableMap build_args_, global_;
  std::vector<ContextEntry> context_;
  std::string context_abs_;  ///< the context's absolute path (bind sources)
  std::optional<int64_t> epoch_;
  std::vector<std::string> results_;
  int step_ = 0, total_steps_ = 0;
};

}  // namespace

std::string build_image(const StorePaths& paths, const BuildOptions& options) {
  return Builder(paths, options).run();
}

}  // namespace tug::build

// Container records and names.
#include "core/container_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <memory>
#include <random>

#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

Json ContainerState::to_json() const {
  // docker: a paused or restarting container is still "Running".
  Json out{{"Status", status},
           {"Running", running()},
           {"Paused", status == "paused"},
           {"Restarting", status == "restarting"},
           {"OOMKilled", oom_killed},
           {"Dead", status == "dead"},
           {"Pid", pid},
           {"ExitCode", exit_code},
           {"Error", error},
           {"StartedAt", started_at},
           {"FinishedAt", finished_at}};
  if (!health.is_null()) out["Health"] = health;
  return out;
}

Json ContainerState::to_record() const {
  Json out = to_json();
  out["MonitorPid"] = monitor_pid;
  out["RestartCount"] = restart_count;
  return out;
}

ContainerState ContainerState::from_json(const Json& j) {
  ContainerState s;
  s.status = j.value("Status", "created");
  s.pid = j.value("Pid", 0);
  s.exit_code = j.value("ExitCode", 0);
  s.oom_killed = j.value("OOMKilled", false);
  s.error = j.value("Error", "");
  s.started_at = j.value("StartedAt", s.started_at);
  s.finished_at = j.value("FinishedAt", s.finished_at);
  s.monitor_pid = j.value("MonitorPid", 0);
  s.restart_count = j.value("RestartCount", 0);
  if (j.contains("Health")) s.health = j["Health"];
  return s;
}

std::string now_rfc3339() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  ::gmtime_r(&ts.tv_sec, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

std::string ContainerStore::new_id() {
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 4; ++i) id += fmt::format("{:016x}", (static_cast<uint64_t>(rd()) << 32) | rd());
  return id;
}

std::string ContainerStore::generate_name() const {
  static const char* const kAdjectives[] = {
      "admiring",      "adoring",    "affectionate", "agitated",   "amazing",   "angry",       "awesome",
      "blissful",      "bold",       "boring",       "brave",      "busy",      "charming",    "clever",
      "compassionate", "competent",  "confident",    "cool",       "cranky",    "crazy",       "dazzling",
      "determined",    "dreamy",     "eager",        "ecstatic",   "elastic",   "elegant",     "epic",
      "exciting",      "fervent",    "festive",      "focused",    "friendly",  "frosty",      "funny",
      "gallant",       "gifted",     "goofy",        "gracious",   "great",     "happy",       "hardcore",
      "heuristic",     "hopeful",    "hungry",       "infallible", "inspiring", "intelligent", "interesting",
      "jolly",         "jovial",     "keen",         "kind",       "laughing",  "loving",      "lucid",
      "magical",       "modest",     "musing",       "mystifying", "naughty",   "nervous",     "nice",
      "nifty",         "nostalgic",  "objective",    "optimistic", "peaceful",  "pedantic",    "pensive",
      "practical",     "priceless",  "quirky",       "quizzical",  "relaxed",   "reverent",    "romantic",
      "sad",           "serene",     "sharp",        "silly",      "sleepy",    "stoic",       "strange",
      "stupefied",     "suspicious", "sweet",        "tender",     "thirsty",   "trusting",    "upbeat",
      "vibrant",       "vigilant",   "vigorous",     "wizardly",   "wonderful", "xenodochial", "youthful",
      "zealous",       "zen"};
  static const char* const kNames[] = {
      "agnesi",     "albattani",     "allen",        "archimedes",   "babbage",     "banach",   "bardeen",
      "bell",       "bhabha",        "booth",        "bose",         "brahmagupta", "brown",    "carson",
      "cerf",       "chandrasekhar", "clarke",       "curie",        "darwin",      "diffie",   "dijkstra",
      "einstein",   "elion",         "engelbart",    "euclid",       "euler",       "fermat",   "fermi",
      "feynman",    "franklin",      "galileo",      "gauss",        "goldberg",    "goodall",  "hamilton",
      "hawking",    "heisenberg",    "hermann",      "hodgkin",      "hopper",      "hypatia",  "jackson",
      "jang",       "jennings",      "johnson",      "kalam",        "keller",      "kepler",   "khorana",
      "knuth",      "kowalevski",    "lalande",      "lamarr",       "lamport",     "leakey",   "lovelace",
      "lumiere",    "mayer",         "mccarthy",     "mcclintock",   "meitner",     "mendel",   "mirzakhani",
      "montalcini", "moore",         "morse",        "napier",       "nash",        "newton",   "nobel",
      "noether",    "pascal",        "pasteur",      "payne",        "perlman",     "pike",     "poincare",
      "ptolemy",    "raman",         "ramanujan",    "ride",         "ritchie",     "rosalind", "sammet",
      "shannon",    "shockley",      "sinoussi",     "stonebraker",  "swanson",     "tesla",    "thompson",
      "torvalds",   "turing",        "varahamihira", "visvesvaraya", "wescoff",     "wiles",    "williams",
      "wilson",     "wozniak",       "wright",       "yalow",        "yonath"};
  std::random_device rd;
  for (int attempt = 0;; ++attempt) {
    std::string name =
        fmt::format("{}_{}", kAdjectives[rd() % std::size(kAdjectives)], kNames[rd() % std::size(kNames)]);
    if (attempt > 10) name += std::to_string(rd() % 10);
    if (!path_exists(paths_.names() + "/" + name)) return name;
  }
}

void ContainerStore::reserve_name(const std::string& name, const std::string& id) {
  std::string link = paths_.names() + "/" + name;
  if (::symlink(id.c_str(), link.c_str()) == 0) return;
  if (errno != EEXIST) fail_errno("reserve name {}", name);
  char target[128] = {};
  ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  std::string owner = n > 0 ? std::string(target, static_cast<size_t>(n)) : "?";
  // A name whose container no longer exists (a tug killed mid-create) is free again.
  if (owner != "?" && !path_exists(dir(owner) + "/config.json") && !is_running(owner)) {
    ::unlink(link.c_str());
    if (::symlink(id.c_str(), link.c_str()) == 0) return;
  }
  fail(
      "Conflict. The container name \"/{}\" is already in use by container \"{}\". You have to remove (or "
      "rename) "
      "that container to be able to reuse that name.",
      name, owner);
}

void ContainerStore::release_name(const std::string& name, const std::string& id) {
  std::string link = paths_.names() + "/" + name;
  char target[128] = {};
  ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  if (n > 0 && std::string(target, static_cast<size_t>(n)) == id) ::unlink(link.c_str());
}

void ContainerStore::save_config(const std::string& id, const Json& config) {
  write_file_atomic(dir(id) + "/config.json", config.dump());
}

Json ContainerStore::load_config(const std::string& id) const {
  return Json::parse(read_file(dir(id) + "/config.json"));
}

void ContainerStore::save_state(const std::string& id, const ContainerState& state, bool durable) {
  write_file_atomic(dir(id) + "/state.json", state.to_record().dump(), 0644, durable);
}

void ContainerStore::update_state(const std::string& id, const std::function<void(ContainerState&)>& change,
                                  bool durable) {
  FileLock lock(dir(id) + "/state.lock", FileLock::Mode::kExclusive);
  ContainerState state = load_state(id);
  change(state);
  save_state(id, state, durable);
}

ContainerState ContainerStore::load_state(const std::string& id) const {
  auto text = read_file_if_exists(dir(id) + "/state.json");
  if (!text) return ContainerState{};
  return ContainerState::from_json(Json::parse(*text));
}

ContainerState ContainerStore::live_state(const std::string& id) const {
  ContainerState state = load_state(id);
  bool held = is_running(id);
  if (state.running() && !held) {
    // The holder died without recording the exit: its container died with it (PID 1 has
    // PDEATHSIG), so it is over; the exit code of a kill is the best account of it. The
    // first reader to notice records it, so that FinishedAt (and "Exited ... ago") stays put;
    // taking the container lock first means no starter is writing a new state meanwhile.
    auto mark_dead = [](ContainerState& s) {
      s.status = "exited";
      if (s.exit_code == 0) s.exit_code = 137;
      if (s.error.empty()) s.error = "the tug process holding the container died";
      if (s.finished_at.empty() || s.finished_at.starts_with("0001-")) s.finished_at = now_rfc3339();
      s.pid = 0;
      s.monitor_pid = 0;
    };
    FileLock lock = FileLock::try_lock(lock_path(id), FileLock::Mode::kExclusive, false);
    if (lock.held()) {
      FileLock state_lock(dir(id) + "/state.lock", FileLock::Mode::kExclusive);
      state = load_state(id);
      if (state.running()) {
        mark_dead(state);
        write_file_atomic(dir(id) + "/state.json", state.to_record().dump(), 0644, false);
      }
    } else {
      mark_dead(state);  // a starter holds it now: report what was, it records what comes
    }
  }
  if (!held || !state.running()) state.pid = 0;
  return state;
}

std::vector<std::string> ContainerStore::list_ids() const {
  std::vector<std::string> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(paths_.containers().c_str()), ::closedir);
  if (!d) return out;
  while (dirent* ent = ::readdir(d.get())) {
    std::string name = ent->d_name;
    if (name.size() == 64 && path_exists(dir(name) + "/config.json")) out.push_back(name);
  }
  return out;
}

std::optional<std::string> ContainerStore::find(const std::string& name_or_id) const {
  if (name_or_id.empty()) return std::nullopt;
  std::string name = name_or_id.front() == '/' ? name_or_id.substr(1) : name_or_id;
  char target[128] = {};
  ssize_t n = ::readlink((paths_.names() + "/" + name).c_str(), target, sizeof target - 1);
  if (n > 0) {
    std::string id(target, static_cast<size_t>(n));
    if (path_exists(dir(id) + "/config.json")) return id;
  }
  std::optional<std::string> match;
  for (const auto& id : list_ids()) {
    if (id.compare(0, name.size(), name) != 0) continue;
    if (match) fail("multiple containers match {}: use a longer ID prefix", name_or_id);
    match = id;
  }
  return match;
}

std::string ContainerStore::resolve(const std::string& name_or_id) const {
  auto id = find(name_or_id);
  if (!id) fail("No such container: {}", name_or_id);
  return *id;
}

bool ContainerStore::is_running(const std::string& id) const {
  // A missing lock file means the container is gone or being removed: not running.
  int fd = ::open(lock_path(id).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  UniqueFd owned(fd);
  return ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
}

namespace {
// Retired container directories live next to the live ones (a rename cannot cross file
// systems) under a prefix no 64-hex ID has.
constexpr std::string_view kTrashPrefix = ".trash-";
}  // namespace

void ContainerStore::remove(const std::string& id) {
  std::string name;
  if (auto text = read_file_if_exists(dir(id) + "/config.json")) name = Json::parse(*text).value("Name", "");
  remove_tree(retire(id, name));
}

std::string ContainerStore::retire(const std::string& id, std::string_view name) {
  if (!name.empty() && name.front() == '/') name.remove_prefix(1);
  // One rename makes the container vanish for every reader, atomically; its name, now
  // dangling, is free (reserve_name takes over dangling names) even if we die right here.
  // The name link then moves into the trash too: a rename, unlike an unlink, frees no inode
  // and costs nothing measurable.
  std::string trash = paths_.containers() + "/" + std::string(kTrashPrefix) + id;
  bool moved = ::rename(dir(id).c_str(), trash.c_str()) == 0;
  if (!moved && errno != ENOENT) fail_errno("remove container {}", id);
  if (!name.empty()) {
    std::string link = paths_.names() + "/" + std::string(name);
    char target[128] = {};
    ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n > 0 && std::string_view(target, static_cast<size_t>(n)) == id) {
      if (!moved || ::rename(link.c_str(), (trash + "/name").c_str()) != 0) ::unlink(link.c_str());
    }
  }
  return trash;
}

std::vector<std::string> ContainerStore::leftover_trash() const {
  std::vector<std::string> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(paths_.containers().c_str()), ::closedir);
  if (!d) return out;
  while (dirent* ent = ::readdir(d.get())) {
    std::string_view name = ent->d_name;
    if (name.starts_with(kTrashPrefix)) out.push_back(paths_.containers() + "/" + std::string(name));
  }
  return out;
}

void ContainerStore::collect_garbage() {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(paths_.containers().c_str()), ::closedir);
  if (!d) return;
  std::vector<std::string> doomed;
  // Two collectors, or a collector and a background deleter, may race here: removal
  // tolerates entries vanishing under it.
  std::vector<std::string> doomed_trash = leftover_trash();
  time_t now = ::time(nullptr);
  while (dirent* ent = ::readdir(d.get())) {
    std::string id = ent->d_name;
    if (id.size() != 64) continue;
    FileLock lock = FileLock::try_lock(lock_path(id), FileLock::Mode::kExclusive, false);
    if (!lock.held()) continue;  // running, being created or being removed right now
    auto text = read_file_if_exists(dir(id) + "/config.json");
    if (!text) {
      // A creation takes its lock right after mkdir; give that instant a wide margin.
      struct stat st;
      if (::stat(dir(id).c_str(), &st) == 0 && now - st.st_mtime > 60) doomed.push_back(id);
      continue;
    }
    try {
      if (Json::parse(*text)["HostConfig"].value("AutoRemove", false)) doomed.push_back(id);
    } catch (const std::exception&) {
    }
  }
  for (const auto& id : doomed) {
    try {
      FileLock lock = FileLock::try_lock(lock_path(id), FileLock::Mode::kExclusive, false);
      if (lock.held()) remove(id);
    } catch (const Error&) {
    }
  }
  for (const auto& path : doomed_trash) {
    try {
      remove_tree(path);
    } catch (const Error&) {
    }
  }
}

}  // namespace tug

// Container records on disk: containers/<id>/{config.json,state.json,lock,...} and the name
// index names/<name> (a symlink to the id, created atomically, so two tugs racing for one
// name cannot both win). A container is running exactly while its lock is held.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/store_paths.hpp"
#include "util/file_lock.hpp"
#include "util/json.hpp"

namespace tug {

/// A container's runtime state (docker's State object, persisted as state.json).
struct ContainerState {
  std::string status = "created";  ///< created, running, paused, restarting, exited, dead
  int pid = 0;                     ///< PID 1 of the container, as the host sees it
  int exit_code = 0;
  bool oom_killed = false;
  std::string error;
  std::string started_at = "0001-01-01T00:00:00Z";
  std::string finished_at = "0001-01-01T00:00:00Z";
  /// The tug process holding the container (the foreground `tug run`, or a detached monitor);
  /// it owns the user namespace the container lives in. Persisted, not shown by inspect.
  int monitor_pid = 0;
  int restart_count = 0;
  Json health;  ///< docker's State.Health ({Status, FailingStreak, Log}); null without a healthcheck

  /// docker's State object (what inspect shows).
  Json to_json() const;
  /// to_json() plus tug's own fields: what state.json holds.
  Json to_record() const;
  static ContainerState from_json(const Json& j);
  bool running() const { return status == "running" || status == "paused" || status == "restarting"; }
};

class ContainerStore {
 public:
  explicit ContainerStore(StorePaths paths) : paths_(std::move(paths)) {}
  const StorePaths& paths() const { return paths_; }

  std::string dir(const std::string& id) const { return paths_.containers() + "/" + id; }
  std::string lock_path(const std::string& id) const { return dir(id) + "/lock"; }

  /// A fresh random 64-hex ID.
  static std::string new_id();
  /// docker-style adjective_noun name not in use yet.
  std::string generate_name() const;
  /// Claims `name` for `id`; throws docker's Conflict error when taken.
  void reserve_name(const std::string& name, const std::string& id);
  void release_name(const std::string& name, const std::string& id);

  void save_config(const std::string& id, const Json& config);
  Json load_config(const std::string& id) const;
  void save_state(const std::string& id, const ContainerState& state, bool durable = true);
  /// Read-modify-write of state.json under the container's state.lock, for writers that are
  /// not the holder (pause, unpause, stop's "stopped by the user" mark) and the holder alike.
  void update_state(const std::string& id, const std::function<void(ContainerState&)>& change,
                    bool durable = true);
  ContainerState load_state(const std::string& id) const;
  /// load_state() checked against the lock: a state that says running while nobody holds the
  /// lock belonged to a monitor that died (killed, or the machine rebooted), and is reported as
  /// exited with the reason in Error. What every listing and inspect shows.
  ContainerState live_state(const std::string& id) const;

  /// IDs of every fully created container.
  std::vector<std::string> list_ids() const;
  /// Full ID for a name, full ID or unique ID prefix; nullopt when none.
  std::optional<std::string> find(const std::string& name_or_id) const;
  /// Like find(), throwing docker's "No such container: X".
  std::string resolve(const std::string& name_or_id) const;
  /// True while some process holds the container's lock (it is running).
  bool is_running(const std::string& id) const;
  /// Removes every file of the container and its name. Layer files owned by other ids
  /// need the caller to be inside the user namespace.
  void remove(const std::string& id);
  /// The cheap, atomic half of remove(): renames the directory to a trash path (returned)
  /// that no listing shows and frees `name` (the container's, "/x" or "x"). The caller
  /// deletes the trash, possibly in the background; collect_garbage() finishes what a killed
  /// deleter left.
  std::string retire(const std::string& id, std::string_view name);
  /// Removes what killed tugs left: --rm containers no longer running, and directories of
  /// creations that died before writing config.json, retired directories. Needs the user
  /// namespace.
  void collect_garbage();
  /// Retired directories still awaiting deletion (paths): a deleter's work in progress, or
  /// what a killed one left. Deleting them is always safe (nothing lists or uses them).
  std::vector<std::string> leftover_trash() const;

 private:
  StorePaths paths_;
};

/// Current time as RFC 3339 with nanoseconds, UTC, as docker writes it.
std::string now_rfc3339();

}  // namespace tug

// rm and inspect. A container whose lock is free but whose state says "running" was held by
// a tug that died: it is reported as exited and can be removed like any stopped one.
#include "core/container_commands.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "core/container_store.hpp"
#include "core/userns.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

Json container_inspect_json(const StorePaths& paths, const std::string& id) {
  ContainerStore store(paths);
  Json cfg = store.load_config(id);
  ContainerState state = store.live_state(id);
  Json out;
  for (auto it = cfg.begin(); it != cfg.end(); ++it) {
    out[it.key()] = it.value();
    if (it.key() == "Args") out["State"] = state.to_json();
  }
  return out;
}

std::vector<std::string> remove_containers(const StorePaths& paths, const std::vector<std::string>& names,
                                           bool force, bool volumes) {
  (void)volumes;
  ContainerStore store(paths);
  std::vector<std::string> removed, errors;
  bool entered = false;
  for (const auto& name : names) {
    try {
      std::string id = store.resolve(name);
      if (store.is_running(id)) {
        if (!force)
          fail(
              "cannot remove container \"/{}\": container is running: stop the container before removing or "
              "force remove",
              store.load_config(id).value("Name", "/").substr(1));
        ContainerState st = store.load_state(id);
        if (st.pid > 0) ::kill(st.pid, SIGKILL);
        for (int i = 0; i < 500 && store.is_running(id); ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (store.is_running(id)) fail("could not kill running container {}", id.substr(0, 12));
      }
      if (!entered) {
        enter_user_namespace(detect_id_mapping());
        entered = true;
      }
      FileLock lock(store.lock_path(id), FileLock::Mode::kExclusive);
      store.remove(id);
      removed.push_back(name);
    } catch (const Error& e) {
      errors.push_back(e.what());
    }
  }
  if (!errors.empty()) {
    for (const auto& r : removed) std::printf("%s\n", r.c_str());
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "\ntug: ") + e;
    throw Error(all);
  }
  return removed;
}

}  // namespace tug

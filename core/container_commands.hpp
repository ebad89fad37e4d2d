// Container management behind `tug rm`, `tug inspect`, `tug rename` and `tug port` (`tug ps` is
// core/container_list.hpp, `tug top` core/container_top.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/store_paths.hpp"
#include "util/json.hpp"

namespace tug {

/// docker's container inspect object, keys in docker's order: config.json plus the live State,
/// RestartCount, the paths of its files (LogPath ...) and NetworkSettings (with the top-level
/// IPAddress scripts read). `size` adds SizeRw and SizeRootFs (inspect --size).
Json container_inspect_json(const StorePaths& paths, const std::string& id, bool size = false);

/// `container prune`: removes every container that is not running; returns their IDs and sets
/// `reclaimed` to the bytes their writable layers held.
std::vector<std::string> prune_containers(const StorePaths& paths, int64_t& reclaimed);

/// `tug rm`: removes each container; running ones only with `force` (killed with SIGKILL from
/// inside their user namespace first). `volumes` also removes their anonymous volumes.
/// Returns the names/IDs as given, one per removed container, as docker prints them.
std::vector<std::string> remove_containers(const StorePaths& paths, const std::vector<std::string>& names,
                                           bool force, bool volumes);

/// `tug rename OLD NEW`: claims NEW (docker's Conflict error when taken), records it, frees OLD.
void rename_container(const StorePaths& paths, const std::string& old_name, const std::string& new_name);

/// `tug port NAME [PRIVATE_PORT[/PROTO]]`: docker's lines, "80/tcp -> 0.0.0.0:8080" for every
/// mapping, or "0.0.0.0:8080" for each mapping of the one port asked for, naturally sorted.
/// Throws "No public port '81/tcp' published for NAME" when that port has none.
std::vector<std::string> container_port_lines(const StorePaths& paths, const std::string& name,
                                              const std::string& port);

}  // namespace tug

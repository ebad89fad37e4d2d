// Image config rules shared by run, create, import and commit.
#include "core/image_config.hpp"

#include <cstdlib>
#include <sstream>

#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

// Splits "K=V K2=V2" or "K V" (ENV/LABEL legacy form) into pairs; values may be quoted.
std::vector<std::pair<std::string, std::string>> parse_pairs(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string rest = trim(text);
  auto first_space = rest.find_first_of(" \t");
  auto first_eq = rest.find('=');
  if (first_eq == std::string::npos || (first_space != std::string::npos && first_space < first_eq)) {
    // Legacy "ENV KEY value with spaces".
    if (first_space == std::string::npos) fail("ENV/LABEL needs a value: {}", text);
    out.emplace_back(rest.substr(0, first_space), trim(rest.substr(first_space)));
    return out;
  }
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
    if (i >= rest.size()) break;
    std::string key, value;
    while (i < rest.size() && rest[i] != '=') key += rest[i++];
    if (i >= rest.size()) fail("invalid KEY=VALUE: {}", key);
    ++i;
    char quote = 0;
    while (i < rest.size()) {
      char c = rest[i];
      if (quote) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && quote == '"' && i + 1 < rest.size()) {
          value += rest[++i];
        } else {
          value += c;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == ' ' || c == '\t') {
        break;
      } else if (c == '\\' && i + 1 < rest.size()) {
        value += rest[++i];
      } else {
        value += c;
      }
      ++i;
    }
    out.emplace_back(key, value);
  }
  return out;
}

}  // namespace

std::vector<std::string> combine_command(const Json& image_config,
                                         const std::optional<std::string>& entrypoint_flag,
                                         const std::vector<std::string>& cmd_args) {
  Json cfg = image_config.contains("config") ? image_config["config"] : Json::object();
  std::vector<std::string> entrypoint = json_string_array(cfg.value("Entrypoint", Json()));
  std::vector<std::string> cmd = json_string_array(cfg.value("Cmd", Json()));
  if (entrypoint_flag) {
    entrypoint =
        entrypoint_flag->empty() ? std::vector<std::string>{} : std::vector<std::string>{*entrypoint_flag};
    cmd.clear();
  }
  if (!cmd_args.empty()) cmd = cmd_args;
  std::vector<std::string> argv = entrypoint;
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  return argv;
}

std::optional<std::string> env_value(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& kv : env)
    if (kv.size() > key.size() && kv.compare(0, key.size(), key) == 0 && kv[key.size()] == '=')
      return kv.substr(key.size() + 1);
  return std::nullopt;
}

std::vector<std::string> merge_env(const std::vector<std::string>& image_env,
                                   const std::vector<std::string>& overrides) {
  std::vector<std::string> out = image_env;
  for (const auto& o : overrides) {
    std::string entry = o;
    auto eq = o.find('=');
    std::string key = o.substr(0, eq);
    if (key.empty()) fail("invalid environment variable: {}", o);
    if (eq == std::string::npos) {
      const char* host = std::getenv(key.c_str());
      if (!host) continue;
      entry = key + "=" + host;
    }
    bool replaced = false;
    for (auto& e : out) {
      if (e.compare(0, key.size() + 1, key + "=") == 0) {
        e = entry;
        replaced = true;
      }
    }
    if (!replaced) out.push_back(entry);
  }
  return out;
}

std::vector<std::string> read_env_file(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    std::string t = line;
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.erase(0, 1);
    if (!t.empty() && t.back() == '\r') t.pop_back();
    if (t.empty() || t.front() == '#') continue;
    out.push_back(t);
  }
  return out;
}

ResolvedUser resolve_user(const std::string& spec, const std::string& passwd, const std::string& group) {
  ResolvedUser u;
  std::string user_part = spec, group_part;
  if (auto colon = spec.find(':'); colon != std::string::npos) {
    user_part = spec.substr(0, colon);
    group_part = spec.substr(colon + 1);
  }
  auto is_number = [](const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
  };
  std::string user_name;
  bool found = false;
  for (const auto& line : split(passwd, '\n')) {
    auto f = split(line, ':');
    if (f.size() < 6) continue;
    if (f[0] == user_part || (is_number(user_part) && f[2] == user_part)) {
      u.uid = static_cast<uid_t>(std::stoul(f[2]));
      u.gid = static_cast<gid_t>(std::stoul(f[3]));
      u.home = f[5].empty() ? "/" : f[5];
      user_name = f[0];
      found = true;
      break;
    }
  }
  if (!found) {
    if (user_part.empty()) {
      u.uid = 0;
    } else if (is_number(user_part)) {
      u.uid = static_cast<uid_t>(std::stoul(user_part));
      u.gid = 0;
    } else {
      fail("unable to find user {}: no matching entries in passwd file", user_part);
    }
  }
  if (!group_part.empty()) {
    bool gfound = false;
    for (const auto& line : split(group, '\n')) {
      auto f = split(line, ':');
      if (f.size() < 3) continue;
      if (f[0] == group_part || (is_number(group_part) && f[2] == group_part)) {
        u.gid = static_cast<gid_t>(std::stoul(f[2]));
        gfound = true;
        break;
      }
    }
    if (!gfound) {
      if (!is_number(group_part))
        fail("unable to find group {}: no matching entries in group file", group_part);
      u.gid = static_cast<gid_t>(std::stoul(group_part));
    }
  }
  u.groups.push_back(u.gid);
  // Supplementary groups listing the user by name, as docker adds them.
  if (!user_name.empty() && group_part.empty()) {
    for (const auto& line : split(group, '\n')) {
      auto f = split(line, ':');
      if (f.size() < 4) continue;
      for (const auto& member : split(f[3], ','))
        if (member == user_name) {
          gid_t g = static_cast<gid_t>(std::stoul(f[2]));
          if (g != u.gid) u.groups.push_back(g);
        }
    }
  }
  return u;
}

std::vector<std::string> parse_command_form(const std::string& text) {
  std::string t = trim(text);
  if (!t.empty() && t.front() == '[') {
    try {
      Json j = Json::parse(t);
      if (j.is_array()) {
        std::vector<std::string> out;
        bool ok = true;
        for (const auto& v : j) {
          if (!v.is_string())
            ok = false;
          else
            out.push_back(v.get<std::string>());
        }
        if (ok) return out;
      }
    } catch (const Json::exception&) {
      // Invalid JSON falls back to the shell form, as in Dockerfiles.
    }
  }
  return {"/bin/sh", "-c", t};
}

void apply_change(Json& cfg, const std::string& instruction) {
  std::string t = trim(instruction);
  auto space = t.find_first_of(" \t");
  std::string keyword = t.substr(0, space);
  std::string args = space == std::string::npos ? "" : trim(t.substr(space));
  for (auto& c : keyword) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (keyword == "CMD") {
    cfg["Cmd"] = parse_command_form(args);
  } else if (keyword == "ENTRYPOINT") {
    cfg["Entrypoint"] = parse_command_form(args);
  } else if (keyword == "ENV") {
    std::vector<std::string> env = json_string_array(cfg.value("Env", Json()));
    for (const auto& [k, v] : parse_pairs(args)) env = merge_env(env, {k + "=" + v});
    cfg["Env"] = env;
  } else if (keyword == "WORKDIR") {
    cfg["WorkingDir"] = args;
  } else if (keyword == "USER") {
    cfg["User"] = args;
  } else if (keyword == "EXPOSE") {
    if (!cfg.contains("ExposedPorts")) cfg["ExposedPorts"] = Json::object();
    std::istringstream in(args);
    std::string port;
    while (in >> port)
      cfg["ExposedPorts"][port.find('/') == std::string::npos ? port + "/tcp" : port] = Json::object();
  } else if (keyword == "LABEL") {
    if (!cfg.contains("Labels") || cfg["Labels"].is_null()) cfg["Labels"] = Json::object();
    for (const auto& [k, v] : parse_pairs(args)) cfg["Labels"][k] = v;
  } else if (keyword == "VOLUME") {
    if (!cfg.contains("Volumes") || cfg["Volumes"].is_null()) cfg["Volumes"] = Json::object();
    for (const auto& v :
         parse_command_form(args).front() == "/bin/sh" ? split(args, ' ') : parse_command_form(args))
      if (!v.empty()) cfg["Volumes"][v] = Json::object();
  } else if (keyword == "STOPSIGNAL") {
    cfg["StopSignal"] = args;
  } else {
    fail("{} is not a valid change command", keyword.empty() ? instruction : keyword);
  }
}

}  // namespace tug

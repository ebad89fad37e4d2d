#include "net/port_spec.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include "util/error.hpp"

namespace tug {

namespace {

struct Range {
  uint32_t first = 0, last = 0;
  uint32_t size() const { return last - first + 1; }
};

bool parse_number(const std::string& text, uint32_t& out) {
  if (text.empty() || text.size() > 5) return false;
  uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return false;
  out = v;
  return true;
}

/// "80" or "80-90"; false when malformed.
bool parse_range(const std::string& text, Range& r) {
  auto dash = text.find('-');
  if (dash == std::string::npos) {
    if (!parse_number(text, r.first)) return false;
    r.last = r.first;
    return true;
  }
  if (!parse_number(text.substr(0, dash), r.first) || !parse_number(text.substr(dash + 1), r.last))
    return false;
  return r.first <= r.last;
}

std::string split_proto(std::string& port_part) {
  auto slash = port_part.find('/');
  if (slash == std::string::npos) return "tcp";
  std::string proto = port_part.substr(slash + 1);
  port_part.resize(slash);
  return proto;
}

void check_proto(const std::string& proto) {
  if (proto != "tcp" && proto != "udp" && proto != "sctp") fail("invalid proto: {}", proto);
}

}  // namespace

std::string PortMapping::key() const { return fmt::format("{}/{}", container_port, proto); }

std::vector<PortMapping> parse_port_spec(const std::string& spec) {
  std::string rest = spec;
  std::string ip;
  // "[v6]:..." first, then split the remaining "a:b:c" from the right.
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      fail("invalid IP address: {}", rest);
    ip = rest.substr(1, close - 1);
    rest = rest.substr(close + 2);
  }
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    auto colon = rest.find(':', start);
    parts.push_back(rest.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  std::string host_part, container_part;
  if (parts.size() == 1) {
    container_part = parts[0];
  } else if (parts.size() == 2) {
    host_part = parts[0];
    container_part = parts[1];
  } else if (parts.size() == 3 && ip.empty()) {
    ip = parts[0];
    host_part = parts[1];
    container_part = parts[2];
  } else {
    fail("invalid port format: {}", spec);
  }
  if (!ip.empty()) {
    unsigned char buf[16];
    if (::inet_pton(AF_INET, ip.c_str(), buf) != 1 && ::inet_pton(AF_INET6, ip.c_str(), buf) != 1)
      fail("invalid IP address: {}", ip);
  }
  std::string proto = split_proto(container_part);
  check_proto(proto);
  Range container{}, host{};
  if (container_part.empty() || !parse_range(container_part, container) || container.first == 0)
    fail("invalid containerPort: {}", container_part);
  bool any_host = host_part.empty();
  if (!any_host && !parse_range(host_part, host)) fail("invalid hostPort: {}", host_part);
  if (!any_host && host.size() != container.size() && host.size() != 1 && container.size() != 1)
    fail("invalid ranges specified for container and host Ports: {} and {}", container_part, host_part);
  if (!any_host && container.size() == 1 && host.size() > 1)
    fail("invalid ranges specified for container and host Ports: {} and {}", container_part, host_part);

  std::vector<PortMapping> out;
  for (uint32_t i = 0; i < container.size(); ++i) {
    PortMapping m;
    m.host_ip = ip;
    m.container_port = static_cast<uint16_t>(container.first + i);
    m.proto = proto;
    if (!any_host) m.host_port = static_cast<uint16_t>(host.size() == 1 ? host.first : host.first + i);
    out.push_back(m);
  }
  return out;
}

std::vector<std::string> parse_exposed_ports(const std::string& spec) {
  std::string port_part = spec;
  std::string proto = split_proto(port_part);
  check_proto(proto);
  Range r{};
  if (!parse_range(port_part, r) || r.first == 0) fail("invalid range format for --expose: {}", spec);
  std::vector<std::string> out;
  for (uint32_t p = r.first; p <= r.last; ++p) out.push_back(fmt::format("{}/{}", p, proto));
  return out;
}

Json port_bindings_json(const std::vector<PortMapping>& mappings) {
  Json out = Json::object();
  for (const auto& m : mappings) {
    Json& list = out[m.key()];
    if (!list.is_array()) list = Json::array();
    list.push_back({{"HostIp", m.host_ip}, {"HostPort", m.host_port ? std::to_string(m.host_port) : ""}});
  }
  return out;
}

namespace {

/// "80/tcp" → (80, "tcp"); false when it is not a port key.
bool split_key(const std::string& key, PortMapping& m) {
  std::string port = key;
  m.proto = split_proto(port);
  uint32_t n = 0;
  if (!parse_number(port, n) || n == 0) return false;
  m.container_port = static_cast<uint16_t>(n);
  return true;
}

}  // namespace

std::vector<PortMapping> published_mappings(const Json& host_config, const Json& exposed_ports) {
  std::vector<PortMapping> out;
  const Json bindings =
      host_config.is_object() ? host_config.value("PortBindings", Json::object()) : Json::object();
  if (bindings.is_object()) {
    for (const auto& [key, list] : bindings.items()) {
      PortMapping m;
      if (!split_key(key, m) || !list.is_array()) continue;
      for (const auto& b : list) {
        PortMapping one = m;
        one.host_ip = b.value("HostIp", "");
        uint32_t port = 0;
        std::string host_port = b.value("HostPort", "");
        if (!host_port.empty() && parse_number(host_port, port)) one.host_port = static_cast<uint16_t>(port);
        out.push_back(one);
      }
    }
  }
  bool publish_all = host_config.is_object() && host_config.value("PublishAllPorts", false);
  if (publish_all && exposed_ports.is_object()) {
    for (const auto& [key, _] : exposed_ports.items()) {
      if (bindings.is_object() && bindings.contains(key)) continue;
      PortMapping m;
      if (split_key(key, m)) out.push_back(m);
    }
  }
  return out;
}

}  // namespace tug

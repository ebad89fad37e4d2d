// The forwarder is one process per container with published ports, single-threaded on epoll.
// Each accepted connection gets a connection to 127.0.0.1:<container port> made in the
// container's network namespace (where the forwarder lives), and two pipes, one per direction:
// splice moves the bytes socket → pipe → socket inside the kernel. A direction whose reader
// reached end of file is shut down on the other side once its pipe is empty, so half-closed
// connections (HTTP/1.0 clients, `nc -q`) behave as on a direct connection.
#include "net/port_forwarder.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "util/error.hpp"
#include "util/memory_trim.hpp"

namespace tug {

namespace {

std::string display_ip(const std::string& ip) { return ip.empty() ? "0.0.0.0" : ip; }

UniqueFd listen_on(const PortMapping& m, const std::string& container_name, uint16_t& bound_port) {
  bool v6 = m.host_ip.find(':') != std::string::npos;
  UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) fail_errno("socket");
  int one = 1;
  // A port a stopped container left in TIME_WAIT is free again at once, as with docker.
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(m.host_port);
    ::inet_pton(AF_INET6, m.host_ip.c_str(), &a->sin6_addr);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(m.host_port);
    a->sin_addr.s_addr = htonl(INADDR_ANY);
    if (!m.host_ip.empty()) ::inet_pton(AF_INET, m.host_ip.c_str(), &a->sin_addr);
    len = sizeof *a;
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    int err = errno;
    std::string where = fmt::format("{}:{}", display_ip(m.host_ip), m.host_port);
    if (err == EADDRINUSE)
      fail(
          "driver failed programming external connectivity on endpoint {}: Bind for {} failed: port is "
          "already "
          "allocated",
          container_name, where);
    if (err == EACCES)
      fail(
          "driver failed programming external connectivity on endpoint {}: Bind for {} failed: permission "
          "denied "
          "(ports below {} need root; sysctl net.ipv4.ip_unprivileged_port_start lowers it)",
          container_name, where, 1024);
    fail("driver failed programming external connectivity on endpoint {}: Bind for {} failed: {}",
         container_name, where, std::strerror(err));
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) fail_errno("listen on port {}", m.host_port);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    bound_port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                          : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

// --- the forwarder process ---------------------------------------------------------------------

constexpr size_t kPipeChunk = 1 << 16;

struct Connection;

/// One direction of a connection: from → pipe → to.
struct Flow {
  int from = -1, to = -1;
  UniqueFd pipe_read, pipe_write;
  size_t in_pipe = 0;
  bool from_eof = false;
  bool done = false;
};

struct Connection {
  UniqueFd client, server;
  Flow up, down;  ///< client → server, server → client
  bool connected = false;
};

struct Tag {
  enum Kind { kListener, kClient, kServer } kind;
  size_t listener = 0;
  Connection* conn = nullptr;
};

class Forwarder {
 public:
  explicit Forwarder(std::vector<PortListener>& listeners) : listeners_(listeners) {
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    for (size_t i = 0; i < listeners_.size(); ++i) {
      auto tag = std::make_unique<Tag>(Tag{Tag::kListener, i, nullptr});
      watch(listeners_[i].fd.get(), EPOLLIN, tag.get(), EPOLL_CTL_ADD);
      listener_tags_.push_back(std::move(tag));
    }
  }

  [[noreturn]] void run() {
    epoll_event events[64];
    bool trimmed = true;  // trimmed before the loop started
    while (true) {
      // After a second without connections, give back what serving faulted in (see
      // memory_trim), so an idle forwarder stays small; a busy one is left alone.
      int n = ::epoll_wait(epoll_.get(), events, 64, connections_.empty() && !trimmed ? 1000 : -1);
      if (n == 0 && connections_.empty()) {
        trim_resident_memory();
        trimmed = true;
        continue;
      }
      if (n > 0) trimmed = false;
      for (int i = 0; i < n; ++i) {
        auto* tag = static_cast<Tag*>(events[i].data.ptr);
        if (tag->kind == Tag::kListener)
          accept_all(tag->listener);
        else
          pump(tag->conn);
      }
      for (Connection* c : finished_) close_connection(c);
      finished_.clear();
    }
  }

 private:
  void watch(int fd, uint32_t events, Tag* tag, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = tag;
    ::epoll_ctl(epoll_.get(), op, fd, &ev);
  }

  void accept_all(size_t index) {
    while (true) {
      int client = ::accept4(listeners_[index].fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (client < 0) return;  // EAGAIN, or out of fds: the rest wait in the backlog
      open_connection(UniqueFd(client), listeners_[index].mapping.container_port);
    }
  }

  void open_connection(UniqueFd client, uint16_t port) {
    auto conn = std::make_unique<Connection>();
    conn->client = std::move(client);
    conn->server.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    int p1[2], p2[2];
    if (!conn->server || ::pipe2(p1, O_NONBLOCK | O_CLOEXEC) != 0) return;
    conn->up.pipe_read.reset(p1[0]);
    conn->up.pipe_write.reset(p1[1]);
    if (::pipe2(p2, O_NONBLOCK | O_CLOEXEC) != 0) return;
    conn->down.pipe_read.reset(p2[0]);
    conn->down.pipe_write.reset(p2[1]);
    int one = 1;
    ::setsockopt(conn->client.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(conn->server.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(conn->server.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 &&
        errno != EINPROGRESS)
      return;  // nothing listens in the container: the client sees its connection closed
    conn->up.from = conn->client.get();
    conn->up.to = conn->server.get();
    conn->down.from = conn->server.get();
    conn->down.to = conn->client.get();
    Connection* c = conn.get();
    auto client_tag = std::make_unique<Tag>(Tag{Tag::kClient, 0, c});
    auto server_tag = std::make_unique<Tag>(Tag{Tag::kServer, 0, c});
    // Edge-triggered: each wake-up pumps both directions until they would block.
    watch(c->client.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, client_tag.get(), EPOLL_CTL_ADD);
    watch(c->server.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, server_tag.get(), EPOLL_CTL_ADD);
    tags_[c] = {std::move(client_tag), std::move(server_tag)};
    connections_[c] = std::move(conn);
  }

  /// Moves what it can until both ends would block; false once the flow failed.
  static bool move(Flow& f) {
    while (!f.done) {
      bool progressed = false;
      if (!f.from_eof && f.in_pipe < kPipeChunk) {
        ssize_t n = ::splice(f.from, nullptr, f.pipe_write.get(), nullptr, kPipeChunk - f.in_pipe,
                             SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
          f.in_pipe += static_cast<size_t>(n);
          progressed = true;
        } else if (n == 0) {
          f.from_eof = true;
          progressed = true;
        } else if (errno != EAGAIN && errno != EINTR) {
          return false;
        }
      }
      if (f.in_pipe > 0) {
        ssize_t n =
            ::splice(f.pipe_read.get(), nullptr, f.to, nullptr, f.in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
          f.in_pipe -= static_cast<size_t>(n);
          progressed = true;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
          return false;
        }
      }
      if (f.from_eof && f.in_pipe == 0) {
        ::shutdown(f.to, SHUT_WR);
        f.done = true;
      } else if (!progressed) {
        return true;  // both ends would block: the next readiness edge resumes
      }
    }
    return true;
  }

  void pump(Connection* c) {
    if (!move(c->up) || !move(c->down) || (c->up.done && c->down.done)) finished_.push_back(c);
  }

  void close_connection(Connection* c) {
    auto it = connections_.find(c);
    if (it == connections_.end()) return;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c->client.get(), nullptr);
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c->server.get(), nullptr);
    tags_.erase(c);
    connections_.erase(it);
  }

  std::vector<PortListener>& listeners_;
  UniqueFd epoll_;
  std::vector<std::unique_ptr<Tag>> listener_tags_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  std::unordered_map<Connection*, std::pair<std::unique_ptr<Tag>, std::unique_ptr<Tag>>> tags_;
  std::vector<Connection*> finished_;
};

}  // namespace

std::vector<PortListener> bind_published_ports(const std::vector<PortMapping>& mappings,
                                               const std::string& container_name) {
  std::vector<PortListener> out;
  for (const auto& m : mappings) {
    if (m.proto != "tcp") fail("publishing {} ports is not supported yet: {}", m.proto, m.key());
    PortListener l;
    l.mapping = m;
    uint16_t bound = m.host_port;
    l.fd = listen_on(m, container_name, bound);
    l.mapping.host_port = bound;
    out.push_back(std::move(l));
  }
  return out;
}

Json network_settings_ports(const std::vector<PortListener>& listeners, const Json& exposed_ports) {
  Json ports = Json::object();
  if (exposed_ports.is_object())
    for (const auto& [key, _] : exposed_ports.items()) ports[key] = nullptr;
  for (const auto& l : listeners) {
    Json& list = ports[l.mapping.key()];
    if (!list.is_array()) list = Json::array();
    list.push_back(
        {{"HostIp", display_ip(l.mapping.host_ip)}, {"HostPort", std::to_string(l.mapping.host_port)}});
  }
  return ports;
}

pid_t start_port_forwarder(std::vector<PortListener>& listeners) {
  if (listeners.empty()) return -1;
  pid_t pid = ::fork();
  if (pid < 0) fail_errno("start the port forwarder");
  if (pid > 0) return pid;
  // The child: a fork of a single-threaded tug, so ordinary code is safe. It keeps nothing of
  // its parent but the listeners (not the container's lock, not its output pipes).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::prctl(PR_SET_NAME, "tug-ports");
  int null = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3 && null >= 0; ++fd) ::dup2(null, fd);
  // Close every fd but the listeners': the gaps between them, in ascending order.
  std::vector<int> keep;
  for (auto& l : listeners) keep.push_back(l.fd.get());
  std::sort(keep.begin(), keep.end());
  unsigned from = 3;
  for (int fd : keep) {
    if (static_cast<unsigned>(fd) > from) ::syscall(SYS_close_range, from, static_cast<unsigned>(fd) - 1, 0U);
    from = static_cast<unsigned>(fd) + 1;
  }
  ::syscall(SYS_close_range, from, ~0U, 0U);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  // Six fds per connection (two sockets, two pipes): the default soft limit of 1024 would cap a
  // container at ~170 concurrent connections. The hard limit is ours to take.
  struct rlimit files;
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  trim_resident_memory();
  Forwarder(listeners).run();
}

}  // namespace tug

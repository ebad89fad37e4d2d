// cp in both directions. The host side runs in the tug process (host files are read and written
// as the user, exactly as docker's CLI does); the container side runs in a ChildTask that entered
// the container's filesystem, where every path is resolved with RESOLVE_IN_ROOT: a symlink in the
// container pointing to /etc/passwd or ../../ leads to the container's files, never the host's.
//
// Protocol: the child resolves its side and sends {"extract_dir", "top"} (or its error); then the
// packing side streams one tar over the data channel and the other extracts it.
#include "core/container_copy.hpp"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <string_view>

#include "core/container_fs_child.hpp"
#include "core/container_store.hpp"
#include "fs/in_root.hpp"
#include "fs/layer_unpack.hpp"
#include "fs/tar_pack.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace tug {

namespace {

constexpr int kMaxSymlinks = 40;

bool has_trailing_separator(std::string_view p) { return !p.empty() && p.back() == '/'; }

// Go's filepath.Base.
std::string go_base(std::string_view p) {
  if (p.empty()) return ".";
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  if (p == "/") return "/";
  size_t slash = p.rfind('/');
  return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

// Go's filepath.Clean.
std::string go_clean(std::string_view p) {
  if (p.empty()) return ".";
  bool rooted = p.front() == '/';
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= p.size()) {
    size_t slash = p.find('/', pos);
    if (slash == std::string_view::npos) slash = p.size();
    std::string_view part = p.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.emplace_back("..");
      }
      continue;
    }
    parts.emplace_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

// Go's filepath.Dir.
std::string go_dir(std::string_view p) {
  size_t slash = p.rfind('/');
  if (slash == std::string_view::npos) return ".";
  return go_clean(p.substr(0, slash + 1));
}

bool specifies_current_dir(std::string_view p) { return go_base(p) == "."; }
bool asserts_directory(std::string_view p) { return has_trailing_separator(p) || specifies_current_dir(p); }

std::string join(const std::string& dir, const std::string& name) {
  return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}

// ---- the host side

std::string host_absolute(const std::string& path) {
  std::string abs = path;
  if (abs.empty() || abs.front() != '/') {
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) fail_errno("getcwd");
    abs = join(cwd, path);
  }
  return clean_copy_path(abs);
}

std::string real_path(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) fail_errno("lstat {}", go_clean(path));
  return buf;
}

// docker's CopyInfoSourcePath for a host path: symlinks before the last element are resolved;
// the last one only with -L (the archive then still carries the name the user gave).
CopyInfo host_source_info(const std::string& path, bool follow) {
  CopyInfo info;
  if (follow) {
    info.path = real_path(path);
    if (specifies_current_dir(path) && !specifies_current_dir(info.path)) info.path = join(info.path, ".");
    if (has_trailing_separator(path) && !has_trailing_separator(info.path)) info.path += '/';
  } else {
    size_t slash = path.rfind('/');
    std::string dir = path.substr(0, slash + 1), base = path.substr(slash + 1);
    std::string resolved = real_path(dir.empty() ? "." : dir);
    info.path = resolved == "/" ? "/" + base : resolved + "/" + base;
  }
  if (go_base(path) != go_base(info.path)) info.rebase_name = go_base(path);
  struct stat st;
  if (::lstat(info.path.c_str(), &st) != 0) fail_errno("lstat {}", info.path);
  info.exists = true;
  info.is_dir = S_ISDIR(st.st_mode);
  return info;
}

// docker's ValidateOutputPath.
void validate_output_path(const std::string& path) {
  std::string dir = go_dir(go_clean(path));
  struct stat st;
  if (dir != "." && ::stat(dir.c_str(), &st) != 0 && errno == ENOENT)
    fail("invalid output path: directory \"{}\" does not exist", dir);
  if (::stat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
    fail("invalid output path: \"{}\" must be a directory or a regular file", path);
}

// docker's CopyInfoDestinationPath: a symlink destination means its target.
CopyInfo host_destination_info(std::string path) {
  struct stat st;
  int rc = ::lstat(path.c_str(), &st);
  for (int n = 0; rc == 0 && S_ISLNK(st.st_mode); ++n) {
    if (n > 10) fail("too many symlinks in {}", path);
    char target[PATH_MAX];
    ssize_t len = ::readlink(path.c_str(), target, sizeof target - 1);
    if (len < 0) fail_errno("readlink {}", path);
    std::string link(target, static_cast<size_t>(len));
    path = link.front() == '/' ? link : go_clean(join(split_path_dir_entry(path).first, link));
    rc = ::lstat(path.c_str(), &st);
  }
  CopyInfo info;
  info.path = path;
  if (rc == 0) {
    info.exists = true;
    info.is_dir = S_ISDIR(st.st_mode);
    return info;
  }
  if (errno != ENOENT) fail_errno("lstat {}", path);
  std::string parent = split_path_dir_entry(path).first;
  if (::stat(parent.c_str(), &st) != 0) fail_errno("stat {}", parent);
  if (!S_ISDIR(st.st_mode)) fail("not a directory");
  return info;
}

// ---- the container side (in the child)

/// An object inside the container: `name` in the directory `dir` ("." for `dir` itself).
struct ContainerObject {
  UniqueFd dir;
  std::string name;
  struct stat st {};
  std::string path;         ///< where it was found, after the symlinks followed
  std::string rebase_name;  ///< the name the user asked for, when a followed link changed it
};

[[noreturn]] void fail_not_found(const std::string& path, const std::string& container) {
  fail("Could not find the file {} in container {}", path, container);
}

// The container path the user gave, absolute (docker takes "c:x" as "/x").
std::string container_absolute(const std::string& path) {
  std::string abs = path.empty() || path.front() != '/' ? "/" + path : path;
  return clean_copy_path(abs);
}

/// Resolves `path` (absolute, clean) inside the container's root. Symlinks before the last
/// element are followed inside the root (the kernel's RESOLVE_IN_ROOT); a last element that is a
/// symlink only with `follow`, or when the path asserts a directory ("link/", "link/.").
/// nullopt when it does not exist.
std::optional<ContainerObject> resolve_in_container(int root, std::string path, bool follow) {
  ContainerObject obj;
  const std::string asked = path;
  for (int n = 0;; ++n) {
    if (n > kMaxSymlinks) fail("too many levels of symbolic links: {}", asked);
    auto [dir, base] = split_path_dir_entry(path);
    if (asserts_directory(path)) {
      obj.dir = open_in_root(root, go_clean(path), O_PATH | O_DIRECTORY);
      obj.name.assign(1, '.');  // not `= "."`: GCC 12 -O3 reports a false -Werror=restrict there
    } else {
      obj.dir = open_in_root(root, dir, O_PATH | O_DIRECTORY);
      obj.name = base;
    }
    if (!obj.dir) {
      if (errno == ENOENT) return std::nullopt;
      fail_errno("lstat {}", path);
    }
    if (::fstatat(obj.dir.get(), obj.name.c_str(), &obj.st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return std::nullopt;
      fail_errno("lstat {}", path);
    }
    if (!follow || !S_ISLNK(obj.st.st_mode)) break;
    std::string target(static_cast<size_t>(obj.st.st_size) + 1, '\0');
    ssize_t len = ::readlinkat(obj.dir.get(), obj.name.c_str(), target.data(), target.size());
    if (len < 0) fail_errno("readlink {}", path);
    target.resize(static_cast<size_t>(len));
    path = go_clean(target.front() == '/' ? target : join(dir, target));
  }
  obj.path = path;
  if (go_base(asked) != go_base(path)) obj.rebase_name = go_base(asked);
  return obj;
}

// The reader's broken pipe is only the echo of the other side's failure: report the cause.
[[noreturn]] void fail_with_cause(ChildTask& child, const Error& local) {
  try {
    child.wait();
  } catch (const Error& remote) {
    if (!std::string_view(remote.what()).ends_with(std::strerror(EPIPE))) throw;
  }
  throw local;
}

/// SIGPIPE ignored while it lives: writing to a child that failed must be an error, not death.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() { old_ = ::signal(SIGPIPE, SIG_IGN); }
  ~IgnoreSigpipe() { ::signal(SIGPIPE, old_); }

 private:
  sighandler_t old_;
};

void warn(const std::string& line) { std::fprintf(stderr, "tug: warning: %s\n", line.c_str()); }

}  // namespace

std::string clean_copy_path(const std::string& path) {
  std::string cleaned = go_clean(path);
  if (!specifies_current_dir(cleaned) && specifies_current_dir(path)) {
    if (!has_trailing_separator(cleaned)) cleaned += '/';
    cleaned += '.';
  }
  if (!has_trailing_separator(cleaned) && has_trailing_separator(path)) cleaned += '/';
  return cleaned;
}

std::string clean_container_path(const std::string& path) { return go_clean("/" + path); }

std::pair<std::string, std::string> split_path_dir_entry(const std::string& path) {
  std::string cleaned = go_clean(path);
  if (specifies_current_dir(path)) cleaned = join(cleaned, ".");
  std::string base = go_base(cleaned);
  if (base == "/") return {"/", "."};
  return {go_dir(cleaned), base};
}

std::pair<std::string, std::string> split_cp_arg(const std::string& arg) {
  if (!arg.empty() && arg.front() == '/') return {"", arg};
  size_t colon = arg.find(':');
  if (colon == std::string::npos || arg.front() == '.') return {"", arg};
  return {arg.substr(0, colon), arg.substr(colon + 1)};
}

CopyPlan plan_copy(const CopyInfo& src, const CopyInfo& dst) {
  auto [dst_dir, dst_base] = split_path_dir_entry(dst.path);
  std::string src_base = src.rebase_name.empty() ? split_path_dir_entry(src.path).second : src.rebase_name;
  if (dst.exists && dst.is_dir) return {dst.path, src_base};
  if (dst.exists && src.is_dir) fail("cannot copy directory");
  if (!dst.exists && !src.is_dir && asserts_directory(dst.path)) fail("no such directory");
  return {dst_dir, dst_base};
}

void copy_from_container(const StorePaths& paths, const std::string& container, const std::string& id,
                         const std::string& src, const std::string& dst, const CopyOptions& options) {
  bool to_stdout = dst == "-";
  std::string dst_path;
  CopyInfo dst_info;
  if (!to_stdout) {
    dst_path = host_absolute(dst);
    validate_output_path(dst_path);
    dst_info = host_destination_info(dst_path);
  }
  std::string src_path = container_absolute(src);
  IgnoreSigpipe sigpipe;
  ChildTask child([&](ChildTask::Channel& channel) {
    UniqueFd root = enter_container_filesystem(paths, id, ContainerView::kWithMounts);
    auto obj = resolve_in_container(root.get(), src_path, options.follow_link);
    if (!obj) fail_not_found(src, container);
    if (has_trailing_separator(src_path) && !S_ISDIR(obj->st.st_mode))
      fail("lstat {}: not a directory", src_path);
    CopyPlan plan;
    // A stream to stdout keeps the source's own name, as docker's does.
    plan.top_name = split_path_dir_entry(has_trailing_separator(src_path) ? src_path : obj->path).second;
    if (!to_stdout) {
      CopyInfo src_info{obj->path, true, S_ISDIR(obj->st.st_mode), obj->rebase_name};
      if (has_trailing_separator(src_path)) src_info.path = src_path;
      plan = plan_copy(src_info, dst_info);
    }
    channel.send(Json{{"extract_dir", plan.extract_dir}});
    FdSink out(to_stdout ? STDOUT_FILENO : channel.data, to_stdout ? "stdout" : "the copy stream");
    PackOptions pack;
    pack.skip_pseudo_filesystems = true;
    TarPacker packer(out, pack);
    packer.add_tree(obj->dir.get(), obj->name, plan.top_name);
    packer.finish();
  });
  Json plan = child.receive();
  if (!to_stdout) {
    std::string dir = plan.value("extract_dir", "");
    try {
      UniqueFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!dirfd) fail_errno("open {}", dir);
      FdSource in(child.data(), "the copy stream");
      UnpackOptions unpack;
      unpack.chown = false;  // host files belong to whoever runs tug, as with docker's CLI
      unpack.warn = warn;
      unpack_layer(in, dirfd.get(), unpack);
    } catch (const Error& e) {
      fail_with_cause(child, e);
    }
  }
  child.wait();
}

void copy_to_container(const StorePaths& paths, const std::string& container, const std::string& id,
                       const std::string& src, const std::string& dst, const CopyOptions& options) {
  bool from_stdin = src == "-";
  CopyInfo src_info;
  if (!from_stdin) src_info = host_source_info(host_absolute(src), options.follow_link);
  std::string dst_path = container_absolute(dst);
  ContainerStore store(paths);
  bool read_only_root = store.load_config(id)["HostConfig"].value("ReadonlyRootfs", false);
  IgnoreSigpipe sigpipe;
  ChildTask child([&](ChildTask::Channel& channel) {
    UniqueFd root = enter_container_filesystem(paths, id, ContainerView::kWithMounts);
    CopyInfo dst_info;
    dst_info.path = dst_path;
    if (auto obj = resolve_in_container(root.get(), dst_path, true)) {
      if (!S_ISDIR(obj->st.st_mode) && !S_ISREG(obj->st.st_mode))
        fail("destination \"{}:{}\" must be a directory or a regular file", container, dst);
      if (!asserts_directory(dst_path)) dst_info.path = obj->path;
      dst_info.exists = true;
      dst_info.is_dir = S_ISDIR(obj->st.st_mode);
    }
    CopyPlan plan{dst_info.path, ""};
    if (from_stdin) {
      if (!dst_info.is_dir) fail("destination \"{}:{}\" must be a directory", container, dst);
    } else {
      plan = plan_copy(src_info, dst_info);
    }
    UniqueFd dir = open_in_root(root.get(), plan.extract_dir, O_RDONLY | O_DIRECTORY);
    if (!dir) {
      if (errno == ENOENT) fail_not_found(plan.extract_dir, container);
      if (errno == ENOTDIR) fail("extraction point is not a directory");
      fail_errno("open {}", plan.extract_dir);
    }
    struct statvfs vfs;
    if (::fstatvfs(dir.get(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) {
      if (read_only_root) fail("container rootfs is marked read-only");
      fail("mounted volume is marked read-only");
    }
    channel.send(Json{{"top", plan.top_name}});
    FdSource in(from_stdin ? STDIN_FILENO : channel.data, from_stdin ? "stdin" : "the copy stream");
    UnpackOptions unpack;
    unpack.chown = true;  // root of the container, or with -a the ids the archive carries
    unpack.warn = warn;
    unpack_layer(in, dir.get(), unpack);
  });
  Json ready = child.receive();
  if (!from_stdin) {
    try {
      auto [dir, base] = split_path_dir_entry(src_info.path);
      UniqueFd dirfd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!dirfd) fail_errno("open {}", dir);
      FdSink out(child.data(), "the copy stream");
      PackOptions pack;
      if (!options.archive) pack.owner = std::make_pair(uid_t{0}, gid_t{0});
      TarPacker packer(out, pack);
      packer.add_tree(dirfd.get(), base, ready.value("top", base));
      packer.finish();
      child.close_data();
    } catch (const Error& e) {
      fail_with_cause(child, e);
    }
  }
  child.wait();
}

}  // namespace tug

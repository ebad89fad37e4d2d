// Context listing: a depth-first walk in name order, each directory opened with openat(...,
// O_NOFOLLOW) from its parent's descriptor, so a symlink swapped in mid-walk is never entered
// and nothing outside the context is read. Excluded directories are skipped unless an exception
// rule may reach inside (IgnoreMatcher::must_walk_excluded_directory).
#include "core/build/build_context.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file_util.hpp"

namespace tug::build {

namespace {

ContextEntry::Type entry_type(mode_t mode) {
  if (S_ISREG(mode)) return ContextEntry::Type::kFile;
  if (S_ISDIR(mode)) return ContextEntry::Type::kDirectory;
  if (S_ISLNK(mode)) return ContextEntry::Type::kSymlink;
  return ContextEntry::Type::kOther;
}

/// Names in a directory, sorted; the fd stays owned by the caller.
std::vector<std::string> directory_names(int dir_fd, const std::string& shown_path) {
  int copy = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) fail_errno("read directory {}", shown_path);
  DIR* dir = ::fdopendir(copy);
  if (!dir) {
    ::close(copy);
    fail_errno("read directory {}", shown_path);
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  int saved = errno;
  ::closedir(dir);
  if (saved != 0) {
    errno = saved;
    fail_errno("read directory {}", shown_path);
  }
  std::sort(names.begin(), names.end());
  return names;
}

class ContextWalk {
 public:
  ContextWalk(const std::string& root, const IgnoreMatcher& matcher) : root_(root), matcher_(matcher) {}

  void walk(int dir_fd, const std::string& prefix, const IgnoreMatcher::MatchState* parent) {
    for (const auto& name : directory_names(dir_fd, shown(prefix))) {
      std::string path = prefix.empty() ? name : prefix + "/" + name;
      struct stat st;
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed while we walk
        fail_errno("stat {}", shown(path));
      }
      auto type = entry_type(st.st_mode);
      auto match = matcher_.match(path, parent);
      if (type != ContextEntry::Type::kDirectory) {
        if (!match.excluded) entries_.push_back({path, type});
        continue;
      }
      if (match.excluded && !matcher_.must_walk_excluded_directory(path)) continue;
      if (!match.excluded) entries_.push_back({path, type});
      UniqueFd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child) fail_errno("open {}", shown(path));
      walk(child.get(), path, &match.state);
    }
  }

  // Sorted, with the directories that lead to a re-included entry added.
  std::vector<ContextEntry> finish() {
    std::set<std::string> listed;
    for (const auto& entry : entries_) listed.insert(entry.path);
    std::vector<ContextEntry> parents;
    for (const auto& entry : entries_) {
      for (size_t slash = entry.path.find('/'); slash != std::string::npos;
           slash = entry.path.find('/', slash + 1)) {
        std::string parent = entry.path.substr(0, slash);
        if (listed.insert(parent).second) parents.push_back({parent, ContextEntry::Type::kDirectory});
      }
    }
    entries_.insert(entries_.end(), parents.begin(), parents.end());
    std::sort(entries_.begin(), entries_.end(),
              [](const ContextEntry& a, const ContextEntry& b) { return a.path < b.path; });
    return std::move(entries_);
  }

 private:
  std::string shown(const std::string& relative) const {
    return relative.empty() ? root_ : join_path(root_, relative);
  }

  std::string root_;
  const IgnoreMatcher& matcher_;
  std::vector<ContextEntry> entries_;
};

}  // namespace

std::optional<std::string> find_ignore_file(const std::string& context_dir,
                                            const std::string& dockerfile_path) {
  std::vector<std::string> candidates;
  if (!dockerfile_path.empty() && dockerfile_path != "-") {
    candidates.push_back(dockerfile_path + ".dockerignore");
    candidates.push_back(dockerfile_path + ".containerignore");
  }
  candidates.push_back(join_path(context_dir, ".dockerignore"));
  candidates.push_back(join_path(context_dir, ".containerignore"));
  for (const auto& candidate : candidates) {
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return candidate;
  }
  return std::nullopt;
}

std::vector<ContextEntry> list_context(const std::string& context_dir, const IgnoreMatcher& matcher) {
  UniqueFd root(::open(context_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) fail_errno("open build context {}", context_dir);
  ContextWalk walk(context_dir, matcher);
  walk.walk(root.get(), "", nullptr);
  return walk.finish();
}

std::vector<ContextEntry> list_build_context(const std::string& context_dir,
                                             const std::string& dockerfile_path) {
  IgnoreMatcher matcher;
  if (auto ignore_file = find_ignore_file(context_dir, dockerfile_path)) {
    try {
      matcher = IgnoreMatcher(read_ignore_patterns(read_file(*ignore_file)));
    } catch (const Error& e) {
      fail("{}: {}", *ignore_file, e.what());
    }
  }
  return list_context(context_dir, matcher);
}

}  // namespace tug::build

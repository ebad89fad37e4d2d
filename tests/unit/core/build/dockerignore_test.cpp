// .dockerignore: reading rules, the pattern table (patterns × paths → excluded?), the context walk
// and which ignore file applies.
#include "core/build/dockerignore.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "core/build/build_context.hpp"
#include "util/error.hpp"
#include "util/file_util.hpp"

namespace tug::build {
namespace {

using Strings = std::vector<std::string>;

/// A scratch directory, removed with its contents at scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    const char* base = ::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/tug-dockerignore-XXXXXX";
    if (!::mkdtemp(templ.data())) fail_errno("mkdtemp {}", templ);
    path_ = templ;
  }
  ~ScratchDir() {
    try {
      remove_tree(path_);
    } catch (...) {
    }
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& relative) const { return path_ + "/" + relative; }

  void file(const std::string& relative, std::string_view content = "x") const {
    auto slash = relative.rfind('/');
    if (slash != std::string::npos) make_dirs(*this / relative.substr(0, slash));
    write_file_atomic(*this / relative, content, 0644, false);
  }
  void dir(const std::string& relative) const { make_dirs(*this / relative); }
  void symlink(const std::string& target, const std::string& relative) const {
    if (::symlink(target.c_str(), (*this / relative).c_str()) != 0) fail_errno("symlink {}", relative);
  }

 private:
  std::string path_;
};

std::string matcher_error(const Strings& patterns) {
  try {
    IgnoreMatcher matcher(patterns);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

Strings paths_of(const std::vector<ContextEntry>& entries) {
  Strings out;
  for (const auto& entry : entries) out.push_back(entry.path);
  return out;
}

TEST_CASE("dockerignore file reading: comments, blanks, whitespace, cleaning, leading slash") {
  // moby/patternmatcher's own ReadAll case.
  CHECK(read_ignore_patterns(
            "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ") ==
        Strings{"test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "!", "!"});
  CHECK(read_ignore_patterns("  spaced  \n\t*.log\t\n") == Strings{"spaced", "*.log"});
  CHECK(read_ignore_patterns("  # only the first column starts a comment\n") ==
        Strings{"# only the first column starts a comment"});
  CHECK(read_ignore_patterns("./foo/../bar/\nfoo//baz/.\n/\n..\n/../x\n") ==
        Strings{"bar", "foo/baz", "/", "..", "x"});
  CHECK(read_ignore_patterns("\xEF\xBB\xBF*.md\r\nbuild\r\n") == Strings{"*.md", "build"});
  CHECK(read_ignore_patterns("").empty());
  CHECK(read_ignore_patterns("#!keep\n!  keep.txt\n") == Strings{"!keep.txt"});
}

TEST_CASE("dockerignore clean_path is Go's filepath.Clean") {
  CHECK(clean_path("") == ".");
  CHECK(clean_path("a/./b/../c/") == "a/c");
  CHECK(clean_path("../../a") == "../../a");
  CHECK(clean_path("/../a") == "/a");
  CHECK(clean_path("a/..") == ".");
  CHECK(clean_path("//a//b") == "/a/b");
}

TEST_CASE("dockerignore pattern errors") {
  CHECK(matcher_error({"!"}) == "illegal exclusion pattern: \"!\"");
  CHECK(matcher_error({"[a"}) == "invalid pattern \"[a\": syntax error in pattern");
  CHECK(matcher_error({"a\\"}) == "invalid pattern \"a\\\\\": syntax error in pattern");
  CHECK(matcher_error({"[]"}) == "invalid pattern \"[]\": syntax error in pattern");
  CHECK(matcher_error({"[a-]"}) == "invalid pattern \"[a-]\": syntax error in pattern");
  CHECK(matcher_error({"ok", "![z"}) == "invalid pattern \"![z\": syntax error in pattern");
  CHECK(matcher_error({"[a-z]", "\\*", "[\\]]", "  ", ""}) == "(no error)");
}

struct MatchCase {
  Strings patterns;
  const char* path;
  bool excluded;
};

TEST_CASE("dockerignore matching table") {
  const std::vector<MatchCase> cases = {
      // * and ? stay within one path element
      {{"*.md"}, "README.md", true},
      {{"*.md"}, "docs/guide.md", false},
      {{"*/*.md"}, "docs/guide.md", true},
      {{"temp?"}, "temp1", true},
      {{"temp?"}, "temp12", false},
      {{"temp?"}, "temp/", false},
      {{"*/temp*"}, "somedir/temporary.txt", true},
      {{"*/temp*"}, "temp", false},
      {{"*/temp*"}, "a/b/temp", false},
      {{"*/*/temp*"}, "a/b/temporary", true},
      {{"file.txt"}, "file.txt", true},
      {{"file.txt"}, "fileXtxt", false},  // '.' is literal
      {{"a+b(c)"}, "a+b(c)", true},
      // ** spans directories
      {{"**/*.go"}, "main.go", true},
      {{"**/*.go"}, "cmd/tool/main.go", true},
      {{"**/*.go"}, "main.gox", false},
      {{"**/node_modules"}, "node_modules", true},
      {{"**/node_modules"}, "web/app/node_modules/react/index.js", true},
      {{"a/**/b"}, "a/b", true},
      {{"a/**/b"}, "a/x/y/b", true},
      {{"a/**/b"}, "a/xb", false},
      {{"a/**"}, "a/deep/file", true},
      {{"a/**"}, "ab", false},
      {{"**"}, "anything/at/all", true},
      {{"foo**"}, "foobar/x", true},  // docker's prefix shortcut
      {{"**foo"}, "barfoo", true},    // and suffix shortcut
      {{"**foo"}, "a/barfoo", true},
      // classes and escapes
      {{"[a-c]*.txt"}, "b1.txt", true},
      {{"[a-c]*.txt"}, "d.txt", false},
      {{"[^a]*"}, "a", false},
      {{"[^a]*"}, "b", true},
      {{"\\*"}, "*", true},
      {{"\\*"}, "x", false},
      {{"caf[\xC3\xA9"
        "e]"},
       "caf\xC3\xA9",
       true},
      {{"caf?"}, "caf\xC3\xA9", true},
      // a rule matching a directory excludes what is inside
      {{"dir"}, "dir", true},
      {{"dir"}, "dir/sub/file", true},
      {{"dir"}, "dir2", false},
      {{"dir"}, "other/dir", false},
      {{"dir/"}, "dir/file", true},
      {{"/dir"}, "dir/file", true},
      {{"./dir/../dir"}, "dir/file", true},
      // exceptions: the last matching rule wins
      {{"*.md", "!README*.md"}, "README.md", false},
      {{"*.md", "!README*.md"}, "CHANGES.md", true},
      {{"*.md", "!README*.md", "README-secret.md"}, "README-secret.md", true},
      {{"*.md", "!README*.md", "README-secret.md"}, "README-public.md", false},
      {{"!x"}, "x", false},
      {{"*", "!keep"}, "keep", false},
      {{"*", "!keep"}, "other", true},
      // `!` after a directory exclusion re-includes inside it...
      {{"dir", "!dir/keep"}, "dir/keep", false},
      {{"dir", "!dir/keep"}, "dir/keep/deep/file", false},
      {{"dir", "!dir/keep"}, "dir/other", true},
      {{"dir", "!dir/keep"}, "dir", true},
      {{"*", "!src/**"}, "src/a.go", false},
      {{"*", "!src/**"}, "docs/a.md", true},
      // ...but an exception only reaches what it names: docker evaluates rules path element by element
      {{"*", "!*.go"}, "main.go", false},
      {{"*", "!*.go"}, "src/main.go", true},
      {{"dir/sub", "!dir"}, "dir/sub", true},
      {{"dir/sub", "!dir"}, "dir/other", false},
      {{"dir", "!dir/sub", "dir/sub/x"}, "dir/sub/x/y", true},
      {{"dir", "!dir/sub", "dir/sub/x"}, "dir/sub/z", false},
  };
  for (const auto& c : cases) {
    // Each case is a .dockerignore file, one pattern a line.
    std::string file;
    for (const auto& p : c.patterns) file += p + "\n";
    IgnoreMatcher matcher(read_ignore_patterns(file));
    std::string description = "[";
    for (const auto& p : c.patterns) description += p + " ";
    description += "] " + std::string(c.path);
    CHECK_MESSAGE(matcher.excluded(c.path) == c.excluded, description);
  }
}

TEST_CASE("dockerignore matcher takes patterns as given: a leading / is the ignore file's business") {
  CHECK_FALSE(IgnoreMatcher({"/dir"}).excluded("dir/file"));
  CHECK(IgnoreMatcher({"./dir/../dir/"}).excluded("dir/file"));
  CHECK(IgnoreMatcher({"  dir  ", "", "  "}).excluded("dir"));
}

TEST_CASE("dockerignore never excludes the context root") {
  IgnoreMatcher all({"*", "**", "."});
  CHECK_FALSE(all.excluded("."));
  CHECK_FALSE(all.excluded(""));
  CHECK(all.excluded("x"));
  CHECK(IgnoreMatcher().empty());
  CHECK_FALSE(IgnoreMatcher().excluded("anything"));
}

TEST_CASE("dockerignore decides which excluded directories must still be walked") {
  IgnoreMatcher literal({"dir", "other", "!dir/keep", "!deep/a/b/**"});
  CHECK(literal.must_walk_excluded_directory("dir"));
  CHECK_FALSE(literal.must_walk_excluded_directory("other"));
  CHECK_FALSE(literal.must_walk_excluded_directory("di"));
  CHECK(literal.must_walk_excluded_directory("deep"));
  CHECK(literal.must_walk_excluded_directory("deep/a"));
  CHECK_FALSE(IgnoreMatcher({"dir"}).must_walk_excluded_directory("dir"));
  // With a wildcard in an exception anything may come back: walk everything.
  CHECK(IgnoreMatcher({"dir", "!*.go"}).must_walk_excluded_directory("dir"));
  CHECK(IgnoreMatcher({"dir", "!**/keep"}).must_walk_excluded_directory("anything"));
}

TEST_CASE("dockerignore context walk: excluded, re-included, symlinks listed not followed") {
  ScratchDir ctx;
  ctx.file("Dockerfile", "FROM scratch\n");
  ctx.file(
      ".dockerignore",
      "# build outputs\nnode_modules\n*.log\n!important.log\nbuild\n!build/keep.txt\nsecret\n**/*.tmp\n");
  ctx.file("app.js");
  ctx.file("debug.log");
  ctx.file("important.log");
  ctx.file("node_modules/x/y.js");
  ctx.file("build/out.o");
  ctx.file("build/keep.txt");
  ctx.file("src/main.js");
  ctx.file("src/cache.tmp");
  ctx.file("secret/key");
  ctx.dir("empty");
  ctx.symlink("../app.js", "src/link");
  ctx.symlink("/etc", "src/dirlink");

  auto entries = list_build_context(ctx.path(), ctx / "Dockerfile");
  CHECK(paths_of(entries) == Strings{".dockerignore", "Dockerfile", "app.js", "build", "build/keep.txt",
                                     "empty", "important.log", "src", "src/dirlink", "src/link",
                                     "src/main.js"});
  auto type_of = [&](const std::string& path) {
    for (const auto& entry : entries)
      if (entry.path == path) return entry.type;
    FAIL("no entry " << path);
    return ContextEntry::Type::kOther;
  };
  CHECK(type_of("src/dirlink") == ContextEntry::Type::kSymlink);
  CHECK(type_of("src/link") == ContextEntry::Type::kSymlink);
  CHECK(type_of("build") == ContextEntry::Type::kDirectory);
  CHECK(type_of("app.js") == ContextEntry::Type::kFile);

  // Without an ignore file everything is sent.
  ScratchDir plain;
  plain.file("a/b/c");
  CHECK(paths_of(list_build_context(plain.path(), plain / "Dockerfile")) == Strings{"a", "a/b", "a/b/c"});
}

TEST_CASE("dockerignore which ignore file applies") {
  ScratchDir ctx;
  ctx.file("Dockerfile");
  ctx.file("sub/prod.Dockerfile");
  CHECK_FALSE(find_ignore_file(ctx.path(), ctx / "Dockerfile"));

  ctx.file(".containerignore", "a\n");
  CHECK(find_ignore_file(ctx.path(), ctx / "Dockerfile") == ctx / ".containerignore");
  ctx.file(".dockerignore", "b\n");
  CHECK(find_ignore_file(ctx.path(), ctx / "Dockerfile") == ctx / ".dockerignore");
  ctx.file("sub/prod.Dockerfile.containerignore", "c\n");
  CHECK(find_ignore_file(ctx.path(), ctx / "sub/prod.Dockerfile") ==
        ctx / "sub/prod.Dockerfile.containerignore");
  ctx.file("sub/prod.Dockerfile.dockerignore", "d\n");
  CHECK(find_ignore_file(ctx.path(), ctx / "sub/prod.Dockerfile") ==
        ctx / "sub/prod.Dockerfile.dockerignore");
  // The root's files still apply to the default Dockerfile, and to a Dockerfile from stdin.
  CHECK(find_ignore_file(ctx.path(), ctx / "Dockerfile") == ctx / ".dockerignore");
  CHECK(find_ignore_file(ctx.path(), "-") == ctx / ".dockerignore");

  // The per-Dockerfile rules are the ones used.
  ctx.file("b");
  ctx.file("d");
  auto paths = paths_of(list_build_context(ctx.path(), ctx / "sub/prod.Dockerfile"));
  CHECK(std::find(paths.begin(), paths.end(), "b") != paths.end());
  CHECK(std::find(paths.begin(), paths.end(), "d") == paths.end());
}

TEST_CASE("dockerignore errors name the ignore file") {
  ScratchDir ctx;
  ctx.file(".dockerignore", "ok\n!\n");
  try {
    list_build_context(ctx.path(), ctx / "Dockerfile");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == ctx / ".dockerignore" + ": illegal exclusion pattern: \"!\"");
  }
}

}  // namespace
}  // namespace tug::build

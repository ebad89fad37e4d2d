// Dockerfile heredocs: RUN <<EOF, <<-EOF, quoted delimiters, several per line, COPY <<EOF /dest,
// and unterminated bodies.
#include <doctest/doctest.h>

#include "core/build/dockerfile.hpp"
#include "core/build/heredoc.hpp"
#include "util/error.hpp"

namespace tug::build {
namespace {

std::vector<Instruction> instructions_of(std::string_view text) {
  Dockerfile df = parse_dockerfile(text);
  REQUIRE(df.stages.size() == 1);
  return df.stages[0].instructions;
}

std::vector<Heredoc> run_heredocs(std::string_view body) {
  auto instructions = instructions_of("FROM x\n" + std::string(body));
  REQUIRE(!instructions.empty());
  const auto* run = instructions[0].as<RunInstruction>();
  REQUIRE(run);
  return run->heredocs;
}

std::string parse_error(std::string_view text) {
  try {
    parse_dockerfile(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST_CASE("dockerfile heredoc: RUN <<EOF") {
  auto instructions =
      instructions_of("FROM x\nRUN <<EOF\necho hello\n# not a comment\necho world\nEOF\nUSER me\n");
  REQUIRE(instructions.size() == 2);
  const auto* run = instructions[0].as<RunInstruction>();
  REQUIRE(run);
  CHECK(run->command.args == std::vector<std::string>{"<<EOF"});
  REQUIRE(run->heredocs.size() == 1);
  CHECK(run->heredocs[0].name == "EOF");
  CHECK(run->heredocs[0].content == "echo hello\n# not a comment\necho world\n");
  CHECK(run->heredocs[0].expand);
  CHECK_FALSE(run->heredocs[0].strip_tabs);
  CHECK(run->heredocs[0].fd == 0);
  CHECK(instructions[0].lines.first == 2);
  CHECK(instructions[0].lines.last == 6);
  CHECK(instructions[1].lines.first == 7);
}

TEST_CASE("dockerfile heredoc: empty body, tabs kept, command after the heredoc word") {
  auto empty = run_heredocs("RUN <<EMPTY\nEMPTY\n");
  REQUIRE(empty.size() == 1);
  CHECK(empty[0].content.empty());

  CHECK(run_heredocs("RUN <<INDENT\n\tfoo\n\tbar\nINDENT\n")[0].content == "\tfoo\n\tbar\n");

  auto instructions = instructions_of("FROM x\nRUN <<COMPLEX python3\nprint('hello world')\nCOMPLEX\n");
  const auto* run = instructions[0].as<RunInstruction>();
  CHECK(run->command.args == std::vector<std::string>{"<<COMPLEX python3"});
  CHECK(run->heredocs[0].content == "print('hello world')\n");

  auto mount = run_heredocs("RUN --mount=type=cache,target=/foo <<MOUNT\necho hello\nMOUNT\n");
  CHECK(mount[0].name == "MOUNT");
  CHECK(mount[0].content == "echo hello\n");
}

TEST_CASE("dockerfile heredoc: <<- strips leading tabs from the body and the delimiter line") {
  auto heredocs = run_heredocs("RUN <<-EOT\n\techo a\n\t\techo b\n  spaces stay\n\tEOT\n");
  REQUIRE(heredocs.size() == 1);
  CHECK(heredocs[0].strip_tabs);
  CHECK(heredocs[0].content == "echo a\necho b\n  spaces stay\n");
}

TEST_CASE("dockerfile heredoc: a quoted delimiter turns expansion off") {
  CHECK(run_heredocs("RUN <<'EOF'\n$x\nEOF\n")[0].expand == false);
  CHECK(run_heredocs("RUN <<\"EOF\"\n$x\nEOF\n")[0].expand == false);
  CHECK(run_heredocs("RUN <<-'NOEXPAND'\n\tdon't expand $NAME\nNOEXPAND\n")[0].content ==
        "don't expand $NAME\n");

  auto partly = run_heredocs("RUN <<eo'f'\necho foo\neof\n");
  CHECK(partly[0].name == "eof");
  CHECK_FALSE(partly[0].expand);

  auto escaped = run_heredocs("RUN <<eo\\'f\necho foo\neo'f\n");
  CHECK(escaped[0].name == "eo'f");
  CHECK(escaped[0].expand);

  auto spaced = run_heredocs("RUN <<'one two'\necho bar\none two\n");
  CHECK(spaced[0].name == "one two");
  CHECK_FALSE(spaced[0].expand);

  CHECK(run_heredocs("RUN <<$EOF\n$EOF\n")[0].name == "$EOF");
}

TEST_CASE("dockerfile heredoc: file descriptors and blanks after <<") {
  auto fd = run_heredocs("RUN 3<<EMPTY2\nEMPTY2\n");
  CHECK(fd[0].fd == 3);
  CHECK(fd[0].name == "EMPTY2");
  CHECK(run_heredocs("RUN <<  EOF\nEOF\n")[0].name == "EOF");
  CHECK(run_heredocs("RUN <<  EOF  > /foo\nEOF\n")[0].name == "EOF");
  auto dash = run_heredocs("RUN << -EOF\n-EOF\n");
  CHECK(dash[0].name == "-EOF");
  CHECK_FALSE(dash[0].strip_tabs);
}

TEST_CASE("dockerfile heredoc: several heredocs on one line are read in order") {
  auto instructions =
      instructions_of("FROM x\nCOPY <<FILE1 <<FILE2 /dest\ncontent 1\nFILE1\ncontent 2\nFILE2\n");
  const auto* copy = instructions[0].as<CopyInstruction>();
  REQUIRE(copy);
  CHECK(copy->sources.empty());
  CHECK(copy->destination == "/dest");
  REQUIRE(copy->inline_sources.size() == 2);
  CHECK(copy->inline_sources[0].name == "FILE1");
  CHECK(copy->inline_sources[0].content == "content 1\n");
  CHECK(copy->inline_sources[1].name == "FILE2");
  CHECK(copy->inline_sources[1].content == "content 2\n");

  // Each body ends at its own delimiter, even when the other one appears first.
  auto crossed = instructions_of("FROM x\nCOPY <<X <<Y /dest\nY\nX\nX\nY\n");
  const auto* both = crossed[0].as<CopyInstruction>();
  CHECK(both->inline_sources[0].content == "Y\n");
  CHECK(both->inline_sources[1].content == "X\n");

  auto run = run_heredocs("RUN <<A cat - <<B\na\nA\nb\nB\n");
  REQUIRE(run.size() == 2);
  CHECK(run[1].content == "b\n");
}

TEST_CASE("dockerfile heredoc: COPY/ADD sources, mixed with paths") {
  auto instructions = instructions_of(
      "FROM x\nCOPY --chmod=755 <<-EOF script.sh /usr/local/bin/\n\t#!/bin/sh\n\techo \"$1\"\nEOF\n");
  const auto* copy = instructions[0].as<CopyInstruction>();
  REQUIRE(copy);
  CHECK(copy->sources == std::vector<std::string>{"script.sh"});
  REQUIRE(copy->inline_sources.size() == 1);
  CHECK(copy->inline_sources[0].content == "#!/bin/sh\necho \"$1\"\n");
  CHECK(copy->chmod == "755");

  auto quotes = instructions_of("FROM x\nADD <<EOF /quotes\n\"foo\"\n'bar'\nEOF\n");
  CHECK(quotes[0].as<AddInstruction>()->inline_sources[0].content == "\"foo\"\n'bar'\n");

  auto named = instructions_of("FROM x\nCOPY <<file.txt /dest\nhello world\nfile.txt\n");
  CHECK(named[0].as<CopyInstruction>()->inline_sources[0].name == "file.txt");

  CHECK(parse_error("FROM x\nCOPY a <<EOF\nx\nEOF\n") ==
        "Dockerfile:2: COPY cannot accept a heredoc as a destination");
}

TEST_CASE("dockerfile heredoc: not a heredoc") {
  // Quoted, in exec form, or on an instruction that takes none: the next line is an instruction.
  auto quoted = instructions_of("FROM x\nRUN \"<<NOHEREDOC\"\nUSER me\n");
  CHECK(quoted.size() == 2);
  CHECK(quoted[0].as<RunInstruction>()->heredocs.empty());
  auto json = instructions_of("FROM x\nRUN [\"<<EOF\"]\nRUN [\"<<'EOF'\"]\nUSER me\n");
  CHECK(json.size() == 3);
  CHECK(json[0].as<RunInstruction>()->heredocs.empty());
  CHECK(parse_error("FROM x\nUSER <<INVALID\nINVALID\n") == "Dockerfile:3: unknown instruction: INVALID");
  CHECK(run_heredocs("RUN cat <<<here\n").empty());
  CHECK(run_heredocs("RUN echo a<<b\n").empty());
}

TEST_CASE("dockerfile heredoc: unterminated is an error with the instruction's line") {
  CHECK(parse_error("FROM a\nRUN a\n\nRUN <<EOF\necho\n") == "Dockerfile:4: unterminated heredoc");
  CHECK(parse_error("FROM a\nRUN <<EOF\nEOF2\n") == "Dockerfile:2: unterminated heredoc");
  // The whole file is split before instructions are checked, as in BuildKit.
  CHECK(parse_error("FROM a\nCOPY x\nRUN <<EOF\n") == "Dockerfile:3: unterminated heredoc");
  // <<- accepts a tab-indented delimiter, << does not.
  CHECK(parse_error("FROM a\nRUN <<EOF\n\tEOF\n") == "Dockerfile:2: unterminated heredoc");
}

TEST_CASE("dockerfile heredoc: CRLF files and ONBUILD") {
  auto crlf = instructions_of("FROM x\r\nRUN <<EOF\r\nhi\r\nEOF\r\nUSER me\r\n");
  REQUIRE(crlf.size() == 2);
  CHECK(crlf[0].as<RunInstruction>()->heredocs[0].content == "hi\r\n");

  auto onbuild = instructions_of("FROM x\nONBUILD RUN <<EOF\necho hi\nEOF\n");
  CHECK(onbuild[0].as<OnbuildInstruction>()->trigger == "RUN <<EOF\necho hi\nEOF");
  auto trigger = parse_instructions(onbuild[0].as<OnbuildInstruction>()->trigger, "trigger");
  CHECK(trigger[0].as<RunInstruction>()->heredocs[0].content == "echo hi\n");
}

TEST_CASE("dockerfile heredoc word syntax") {
  for (const char* word : {"<<EOF", "<<'EOF'", "<<\"EOF\"", "<<-EOF", "<<-'EOF'", "<<-\"EOF\"", "<<EO\"F\"",
                           "<< EOF", "<<- EOF"}) {
    auto heredoc = parse_heredoc_word(word);
    REQUIRE_MESSAGE(heredoc, word);
    CHECK_MESSAGE(heredoc->name == "EOF", word);
  }
  for (const char* word : {"", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh"}) {
    CHECK_MESSAGE(!parse_heredoc_word(word), word);
  }
  for (const char* word : {"<<'EOF", "<<\"EOF", "<<EOF'", "<<EOF\""}) {
    CHECK_THROWS_AS_MESSAGE(parse_heredoc_word(word), Error, word);
  }
  CHECK(strip_leading_tabs("\thello\n\t\tworld\n x\t\n") == "hello\nworld\n x\t\n");
}

}  // namespace
}  // namespace tug::build

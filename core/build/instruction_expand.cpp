// Per-instruction variable expansion (BuildKit's Expand methods of the instructions package):
// each expanded field goes through the lexer as one word, so `COPY $SRC /d` with SRC="a b" copies
// one path "a b"; EXPOSE alone splits its words again after expansion.
#include "core/build/instruction_expand.hpp"

#include "util/error.hpp"

namespace tug::build {

namespace {

/// Expands the fields of whichever instruction body it visits; others pass unchanged.
class FieldExpander {
 public:
  FieldExpander(const VariableMap& variables, char escape) : variables_(variables) {
    options_.escape = escape;
  }

  void operator()(FromInstruction& from) const {
    word(from.image);
    word(from.platform);
  }
  void operator()(EnvInstruction& env) const { pairs(env.variables); }
  void operator()(LabelInstruction& label) const { pairs(label.labels); }
  void operator()(WorkdirInstruction& workdir) const { word(workdir.path); }
  void operator()(UserInstruction& user) const { word(user.user); }
  void operator()(StopsignalInstruction& stop) const { word(stop.signal); }
  void operator()(VolumeInstruction& volume) const {
    for (auto& path : volume.paths) word(path);
  }
  void operator()(ExposeInstruction& expose) const {
    std::vector<std::string> ports;
    for (const auto& port : expose.ports) {
      auto words = expand_words(port, variables_, options_);
      ports.insert(ports.end(), words.begin(), words.end());
    }
    expose.ports = std::move(ports);
  }
  void operator()(CopyInstruction& copy) const {
    file_copy(copy);
    word(copy.from);
  }
  void operator()(AddInstruction& add) const {
    file_copy(add);
    word(add.checksum);
  }
  template <typename Unexpanded>
  void operator()(Unexpanded&) const {}

 private:
  void word(std::string& text) const {
    if (!text.empty()) text = expand_word(text, variables_, options_);
  }

  void pairs(std::vector<KeyValue>& pairs) const {
    for (auto& pair : pairs) {
      word(pair.key);
      word(pair.value);
    }
  }

  void file_copy(FileCopy& copy) const {
    for (auto& source : copy.sources) word(source);
    word(copy.destination);
    word(copy.chown);
    word(copy.chmod);
    for (auto& pattern : copy.excludes) word(pattern);
    // A heredoc body is text, not a word: quotes in it stay (BuildKit's SkipProcessQuotes), and
    // BuildKit lexes it with \ as escape whatever the directive says (so `\$` keeps a `$`).
    LexOptions body_options;
    body_options.literal_quotes = true;
    for (auto& heredoc : copy.inline_sources) {
      if (heredoc.expand) heredoc.content = expand_word(heredoc.content, variables_, body_options);
    }
  }

  const VariableMap& variables_;
  LexOptions options_;
};

}  // namespace

Instruction expand_instruction(const Dockerfile& dockerfile, const Instruction& instruction,
                               const VariableMap& variables) {
  Instruction expanded = instruction;
  try {
    std::visit(FieldExpander(variables, dockerfile.escape), expanded.body);
  } catch (const Error& e) {
    fail_at_line(dockerfile.file_name, instruction.lines.first, e.what());
  }
  return expanded;
}

}  // namespace tug::build

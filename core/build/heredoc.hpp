// Heredoc words in Dockerfile instructions (`<<EOF`, `<<-EOF`, `3<<"EOF"`), as BuildKit finds them:
// the delimiter's quotes decide whether the body is expanded, <<- strips leading tabs.
// Internal to core/build: the parser reads the bodies, COPY/ADD tell heredoc sources from paths.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/build/dockerfile.hpp"

namespace tug::build {

/// The heredoc one word starts ("<<EOF", "<<-'EOF'", "2<<EOF", "<< EOF"), without its body, or
/// nullopt when the word is no heredoc ("<<", "<<<EOF", "<<EOF sh"). Throws Error when the
/// delimiter's quoting is broken ("<<'EOF").
std::optional<Heredoc> parse_heredoc_word(std::string_view word);

/// The heredocs an instruction line starts, in order, bodies still empty. Quoted words ("<<EOF")
/// are not heredocs; `<< EOF` with blanks after << is one.
std::vector<Heredoc> find_heredocs(std::string_view line);

/// Removes leading tabs from every line (the effect of <<-).
std::string strip_leading_tabs(std::string_view content);

}  // namespace tug::build

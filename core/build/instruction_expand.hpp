// Variable expansion of one Dockerfile instruction before the builder runs it, in exactly the
// fields docker expands: ADD/COPY (sources, destination, --from, --chown, --chmod, --checksum,
// --exclude, unquoted-heredoc bodies), ENV and LABEL (keys and values), EXPOSE (each word may
// split into several ports), FROM (image, --platform), STOPSIGNAL, USER, VOLUME, WORKDIR.
// RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER and ONBUILD are left as written (the shell
// expands at run time; triggers expand in the child build). ARG goes through StageScope::apply
// (build_args.hpp), which expands a default only when no --build-arg replaces it.
#pragma once

#include "core/build/dockerfile.hpp"
#include "core/build/shell_lexer.hpp"

namespace tug::build {

/// `instruction` with `variables` expanded as docker does for one step, using the Dockerfile's
/// escape character. Values come out final: quotes and escapes removed. Throws tug::Error
/// "<file>:<line>: failed to process \"...\": <why>".
Instruction expand_instruction(const Dockerfile& dockerfile, const Instruction& instruction,
                               const VariableMap& variables);

}  // namespace tug::build

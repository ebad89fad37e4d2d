// Terminal bars are redrawn in place (cursor up, clear line) at most ten times a second;
// a final state is drawn at once. Plain output never shows transient states.
#include "cmd/transfer_printer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "core/format/human_units.hpp"

namespace tug {

TransferPrinter::TransferPrinter(std::FILE* out) : out_(out) {
  const char* term = std::getenv("TERM");
  terminal_ = ::isatty(::fileno(out)) && !(term && std::strcmp(term, "dumb") == 0);
}

void TransferPrinter::message(const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

void TransferPrinter::layers_begin(const std::vector<std::string>& ids, const std::vector<int64_t>& sizes) {
  std::lock_guard<std::mutex> lock(mutex_);
  rows_.clear();
  for (size_t i = 0; i < ids.size(); ++i) {
    Row row;
    row.id = ids[i];
    row.size = i < sizes.size() ? sizes[i] : -1;
    rows_.push_back(row);
  }
  printed_ = drawn_ = 0;
}

void TransferPrinter::layer_state(size_t index, LayerState state, const std::string& detail) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (index >= rows_.size()) return;
  Row& row = rows_[index];
  if (state != row.state && (state == LayerState::kDownloading || state == LayerState::kPushing))
    row.started = std::chrono::steady_clock::now();
  row.state = state;
  row.detail = detail;
  if (terminal_)
    redraw(is_final(state));
  else
    print_final_rows_in_order();
}

void TransferPrinter::layer_bytes(size_t index, uint64_t done) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (index >= rows_.size()) return;
  rows_[index].done = done;
  if (terminal_) redraw(false);
}

void TransferPrinter::layers_end() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (terminal_) {
    redraw(true);
  } else {
    print_final_rows_in_order();
  }
  rows_.clear();
  printed_ = drawn_ = 0;
}

std::string TransferPrinter::row_text(const Row& row) const {
  std::string text = row.id;
  text.append(": ");
  text.append(layer_state_text(row.state, row.detail));
  if (row.state != LayerState::kDownloading && row.state != LayerState::kPushing) return text;
  constexpr int kWidth = 50;
  if (row.size > 0) {
    int filled = static_cast<int>(kWidth * std::min(1.0, static_cast<double>(row.done) / row.size));
    std::string bar(static_cast<size_t>(filled), '=');
    if (filled < kWidth) bar += '>';
    bar.resize(kWidth, ' ');
    text += fmt::format(" [{}] {}/{}", bar, human_size(row.done), human_size(row.size));
  } else {
    text.push_back(' ');
    text.append(human_size(row.done));
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - row.started).count();
  if (seconds > 0.2) text += fmt::format("  {}/s", human_size(row.done / seconds));
  return text;
}

void TransferPrinter::print_final_rows_in_order() {
  while (printed_ < rows_.size() && is_final(rows_[printed_].state)) {
    std::fprintf(out_, "%s\n", row_text(rows_[printed_]).c_str());
    ++printed_;
  }
  std::fflush(out_);
}

void TransferPrinter::redraw(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && drawn_ == rows_.size() && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  std::string frame;
  if (drawn_) frame += fmt::format("\x1b[{}A", drawn_);
  for (const Row& row : rows_) {
    frame.append("\r\x1b[2K");
    frame.append(row_text(row));
    frame.push_back('\n');
  }
  drawn_ = rows_.size();
  std::fwrite(frame.data(), 1, frame.size(), out_);
  std::fflush(out_);
}

}  // namespace tug

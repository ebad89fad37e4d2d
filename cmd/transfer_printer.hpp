// How pulls and pushes look: per-layer bars with bytes and speed on a terminal, one line per
// layer (in the image's order) otherwise, as docker prints them.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "core/transfer_progress.hpp"

namespace tug {

class TransferPrinter final : public TransferObserver {
 public:
  /// Bars when `out` is a terminal (and TERM is not "dumb"), plain lines otherwise.
  explicit TransferPrinter(std::FILE* out);

  void message(const std::string& line) override;
  void layers_begin(const std::vector<std::string>& ids, const std::vector<int64_t>& sizes) override;
  void layer_state(size_t index, LayerState state, const std::string& detail) override;
  void layer_bytes(size_t index, uint64_t done) override;
  void layers_end() override;

 private:
  struct Row {
    std::string id;
    int64_t size = -1;
    LayerState state = LayerState::kWaiting;
    std::string detail;
    uint64_t done = 0;
    std::chrono::steady_clock::time_point started;
  };
  std::string row_text(const Row& row) const;
  void print_final_rows_in_order();  // plain mode
  void redraw(bool force);           // terminal mode

  std::FILE* out_;
  bool terminal_;
  std::mutex mutex_;
  std::vector<Row> rows_;
  size_t printed_ = 0;  ///< plain mode: rows printed so far (a prefix)
  size_t drawn_ = 0;    ///< terminal mode: rows on screen below the cursor's home
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace tug

// What pull and push report while they work, in docker's vocabulary. core/ only emits these
// events; cmd/ decides how they look (bars on a terminal, one line per layer otherwise, nothing
// with -q).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tug {

/// A layer's state. The final ones are what docker prints once per layer when not on a terminal.
enum class LayerState {
  kWaiting,        ///< queued behind other transfers
  kDownloading,    ///< bytes are flowing (and being unpacked as they arrive)
  kPushing,        ///< bytes are flowing to the registry
  kAlreadyExists,  ///< final (pull): the store has it
  kPullComplete,   ///< final (pull)
  kPushed,         ///< final (push)
  kLayerExists,    ///< final (push): the registry has it ("Layer already exists")
  kMounted,        ///< final (push): "Mounted from <repository>" (detail)
};

bool is_final(LayerState state);

/// docker's words for a state: "Pull complete", "Mounted from bb/busybox"...
std::string layer_state_text(LayerState state, const std::string& detail);

/// The 12 hex digits docker names a layer by.
std::string short_layer_id(const std::string& digest);

/// Receives a transfer's events. `layer_*` calls may come from several threads at once;
/// the rest come from the thread that runs the transfer.
class TransferObserver {
 public:
  virtual ~TransferObserver() = default;
  /// A line of the transfer's story ("latest: Pulling from library/nginx", "Digest: ...").
  virtual void message(const std::string& line) = 0;
  /// The layers of this transfer, bottom first: docker's short ids and sizes (-1 unknown).
  virtual void layers_begin(const std::vector<std::string>& ids, const std::vector<int64_t>& sizes) = 0;
  virtual void layer_state(size_t index, LayerState state, const std::string& detail = {}) = 0;
  virtual void layer_bytes(size_t index, uint64_t done) = 0;
  /// Every layer is final (or the transfer failed): the layer display is complete.
  virtual void layers_end() = 0;
};

/// Says nothing (`-q`).
class SilentObserver final : public TransferObserver {
 public:
  void message(const std::string&) override {}
  void layers_begin(const std::vector<std::string>&, const std::vector<int64_t>&) override {}
  void layer_state(size_t, LayerState, const std::string&) override {}
  void layer_bytes(size_t, uint64_t) override {}
  void layers_end() override {}
};

}  // namespace tug

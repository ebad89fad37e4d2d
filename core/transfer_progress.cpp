// docker's words for layer states.
#include "core/transfer_progress.hpp"

namespace tug {

bool is_final(LayerState state) {
  switch (state) {
    case LayerState::kWaiting:
    case LayerState::kDownloading:
    case LayerState::kPushing:
      return false;
    default:
      return true;
  }
}

std::string layer_state_text(LayerState state, const std::string& detail) {
  switch (state) {
    case LayerState::kWaiting:
      return "Waiting";
    case LayerState::kDownloading:
      return "Downloading";
    case LayerState::kPushing:
      return "Pushing";
    case LayerState::kAlreadyExists:
      return "Already exists";
    case LayerState::kPullComplete:
      return "Pull complete";
    case LayerState::kPushed:
      return "Pushed";
    case LayerState::kLayerExists:
      return "Layer already exists";
    case LayerState::kMounted:
      return "Mounted from " + detail;
  }
  return {};
}

std::string short_layer_id(const std::string& digest) {
  auto colon = digest.find(':');
  return digest.substr(colon == std::string::npos ? 0 : colon + 1, 12);
}

}  // namespace tug

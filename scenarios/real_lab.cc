#include "scenarios/real_lab.h"

namespace berth::scenarios {

Result<std::unique_ptr<Lab>> MakeRealLab(const RealLabConfig& config) {
  return FailedPrecondition(
      "the real lab backend is not available yet: this berth was built without the machine "
      "layer and the fabric (scenarios/real_lab.cc). Nothing was created. Use "
      "'berth scenario run --dry-run FILE' to rehearse the scenario against the simulated lab");
}

}  // namespace berth::scenarios

// A base for test engines that only care about inputs and actions: it answers the
// chain::Engine queries with fixed, empty values (head at block 0 of an empty chain).
#pragma once

#include "chain/engine.h"

namespace synod::testing {

class QuietQueries : public chain::Engine {
 public:
  chain::ChainHead head() const override { return {}; }
  const chain::State& state() const override { return state_; }
  chain::Finality finality() const override { return chain::Finality::kCertificate; }
  nlohmann::json status(chain::TimeMs) const override { return nlohmann::json::object(); }
  nlohmann::json consensus_dump(chain::TimeMs) const override { return nlohmann::json::object(); }
  nlohmann::json validator_facts() const override { return nlohmann::json::object(); }
  std::vector<chain::MetricSample> metrics() const override { return {}; }
  std::string message_type(ByteView) const override { return "unknown"; }
  std::string progress_note() const override { return {}; }

 private:
  chain::State state_{chain::SigningDomain{"test", {}}};
};

}  // namespace synod::testing

#include "chain/engine.h"

namespace synod::chain {

const char* to_string(Finality finality) {
  switch (finality) {
    case Finality::kCertificate:
      return "certificate";
    case Finality::kProbabilistic:
      return "probabilistic";
  }
  return "unknown";
}

}  // namespace synod::chain

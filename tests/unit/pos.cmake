# Unit tests for proof-of-stake: the ledger rules in chain/ and the engine in pow_pos/.
synod_test(unit_pos_state LABEL pos SOURCES pos_state_test.cpp
  LIBS synod_chain nlohmann_json::nlohmann_json)
synod_test(unit_pos_engine LABEL pos SOURCES pos_rules_test.cpp pos_engine_test.cpp pos_fairness_test.cpp
  pos_restart_test.cpp pos_double_sign_test.cpp
  LIBS synod_pow_pos)

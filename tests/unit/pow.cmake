# Unit tests for pow_pos/ (proof-of-work arithmetic, rules, block tree, engine).
synod_test(unit_pow_math LABEL pow SOURCES pow_uint256_test.cpp pow_rules_test.cpp
  LIBS synod_pow_pos)
synod_test(unit_pow_tree LABEL pow SOURCES pow_tree_test.cpp pow_messages_test.cpp
  LIBS synod_pow_pos)
synod_test(unit_pow_engine LABEL pow
  SOURCES pow_engine_test.cpp pow_reorg_test.cpp pow_mining_test.cpp pow_recovery_test.cpp
  LIBS synod_pow_pos)

# Mempool tests (chain/mempool.h).
synod_test(unit_mempool LABEL unit SOURCES mempool_test.cpp mempool_limits_test.cpp
  LIBS synod_chain)

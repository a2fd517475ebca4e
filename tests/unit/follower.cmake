# Unit tests for pbft/follower (the engine of a non-validating full node).
synod_test(unit_follower LABEL unit SOURCES follower_test.cpp LIBS synod_pbft)

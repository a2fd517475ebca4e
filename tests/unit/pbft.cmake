# Unit tests for pbft/ (Byzantine behaviours).
synod_test(unit_adversary LABEL unit SOURCES adversary_test.cpp LIBS synod_pbft)

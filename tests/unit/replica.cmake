synod_test(unit_replica LABEL unit SOURCES replica_test.cpp primary_monitor_test.cpp LIBS synod_pbft)
synod_test(unit_replica_limits LABEL unit SOURCES replica_limits_test.cpp LIBS synod_pbft)

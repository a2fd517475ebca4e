synod_test(unit_node LABEL unit SOURCES node_test.cpp LIBS synod_node)
synod_test(unit_node_pow LABEL unit SOURCES node_pow_test.cpp LIBS synod_node)

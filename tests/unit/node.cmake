synod_test(unit_node LABEL unit SOURCES node_test.cpp LIBS synod_node)

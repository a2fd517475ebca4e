synod_test(unit_node LABEL unit SOURCES node_test.cpp node_block_reads_test.cpp LIBS synod_node synod_pow_pos)
synod_test(unit_node_pow LABEL unit SOURCES node_pow_test.cpp LIBS synod_node)

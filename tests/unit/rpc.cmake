synod_test(unit_rpc LABEL unit SOURCES rpc_test.cpp LIBS synod_rpc synod_client)

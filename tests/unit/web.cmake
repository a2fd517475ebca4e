# The live web view: the node's push stream (node/event_feed.h) and the state the testnet's
# web server hands to browsers (testnet/web_hub.h), and who may talk to that server
# (testnet/web_guard.h).
synod_test(unit_event_feed LABEL unit SOURCES event_feed_test.cpp LIBS synod_node)
synod_test(unit_web_hub LABEL unit SOURCES web_hub_test.cpp LIBS synod_testnet_web)
synod_test(unit_slash_log LABEL unit SOURCES slash_log_test.cpp LIBS synod_node)
synod_test(unit_instance_view LABEL unit SOURCES instance_view_test.cpp LIBS synod_node)
synod_test(unit_web_guard LABEL unit SOURCES web_guard_test.cpp LIBS synod_testnet_web)

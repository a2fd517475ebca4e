# Unit tests for node/transport/ (framing, handshake, encrypted sessions, peer manager on
# loopback).
synod_test(unit_transport LABEL unit SOURCES transport_test.cpp LIBS synod_transport)

synod_test(unit_crypto LABEL unit SOURCES crypto_test.cpp LIBS synod_crypto)

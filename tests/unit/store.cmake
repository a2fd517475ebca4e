# Block store tests (see store tests owner).
synod_test(unit_block_store LABEL unit SOURCES block_store_test.cpp LIBS synod_chain)
# Side branches, reorgs and the migration from the schema before them.
synod_test(unit_block_store_reorg LABEL unit
           SOURCES block_store_reorg_test.cpp block_store_migration_test.cpp
           LIBS synod_chain SQLite::SQLite3)

# The crash test SIGKILLs this writer at random moments and checks the store it leaves.
add_executable(store_crash_writer store_crash_writer.cpp)
target_link_libraries(store_crash_writer PRIVATE synod_chain)
synod_set_warnings(store_crash_writer)

synod_test(unit_block_store_crash LABEL unit SOURCES block_store_crash_test.cpp
           LIBS synod_chain SQLite::SQLite3)
target_compile_definitions(unit_block_store_crash
  PRIVATE SYNOD_STORE_CRASH_WRITER="$<TARGET_FILE:store_crash_writer>")
add_dependencies(unit_block_store_crash store_crash_writer)

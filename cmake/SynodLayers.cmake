# Layering enforced by the compiler: a library sees only the top-level folders it may
# depend on (DESIGN.md: crypto <- chain <- {pbft, pow_pos} <- node). Each library gets an
# include directory of its own holding links to just those folders, so an #include of a
# folder outside its layer fails to compile instead of slipping through review.
#
# synod_layer_view(TARGET SCOPE FOLDER...): adds that directory to TARGET's include path
# with SCOPE (PUBLIC for libraries whose headers consumers include; PRIVATE for a library
# that must not pass its view on).
function(synod_layer_view target scope)
  set(view ${CMAKE_BINARY_DIR}/layers/${target})
  file(MAKE_DIRECTORY ${view})
  foreach(folder IN LISTS ARGN)
    if(NOT EXISTS ${view}/${folder})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder} ${view}/${folder} SYMBOLIC)
    endif()
  endforeach()
  target_include_directories(${target} ${scope} ${view})
endfunction()

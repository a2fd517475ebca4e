# Warning flags for Synod's own targets (not for third-party headers, which come in as
# SYSTEM includes from their packages).
function(synod_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
                                           -Woverloaded-virtual -Wimplicit-fallthrough)
  if(SYNOD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# synod_library(NAME SOURCES... LAYERS folder... [PRIVATE_VIEW] [PUBLIC_LIBS ...]
#               [PRIVATE_LIBS ...]): LAYERS are the top-level folders the library may include
# from (see SynodLayers.cmake); PRIVATE_VIEW keeps them from reaching its consumers.
function(synod_library name)
  cmake_parse_arguments(ARG "PRIVATE_VIEW" "" "SOURCES;LAYERS;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  if(NOT ARG_LAYERS)
    message(FATAL_ERROR "synod_library(${name}): name the LAYERS it may include")
  endif()
  add_library(${name} STATIC ${ARG_SOURCES})
  if(ARG_PRIVATE_VIEW)
    synod_layer_view(${name} PRIVATE ${ARG_LAYERS})
  else()
    synod_layer_view(${name} PUBLIC ${ARG_LAYERS})
  endif()
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_LIBS} PRIVATE ${ARG_PRIVATE_LIBS})
  synod_set_warnings(${name})
endfunction()

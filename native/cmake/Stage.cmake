cmake_policy(SET CMP0057 NEW) # IN_LIST
cmake_policy(SET CMP0007 NEW) # list keeps empty elements

# Copies ggml's shared libraries into STAGE_DIR under their soname (no symlinks, so they pack into a jar)
# and writes the properties file the Java loader reads. Run with cmake -P.

file(MAKE_DIRECTORY "${STAGE_DIR}")
file(GLOB _libs LIST_DIRECTORIES false "${GGML_BIN_DIR}/libggml*.so*")

set(_staged "")
foreach (_lib IN LISTS _libs)
    if (IS_SYMLINK "${_lib}")
        continue()
    endif()
    get_filename_component(_name "${_lib}" NAME)
    # libggml.so.0.25.1 -> libggml.so.0 (the soname other libraries ask for)
    if (_name MATCHES "^(lib.+\\.so)\\.([0-9]+)\\.[0-9]+\\.[0-9]+$")
        set(_dest "${CMAKE_MATCH_1}.${CMAKE_MATCH_2}")
    else()
        set(_dest "${_name}")
    endif()
    file(COPY_FILE "${_lib}" "${STAGE_DIR}/${_dest}" ONLY_IF_DIFFERENT)
    list(APPEND _staged "${_dest}")
endforeach()

# Load order: a library after everything it links against.
set(_order "")
foreach (_want IN ITEMS "libggml-base.so" "libggml-cpu.so" "libggml-blas.so" "libggml-cuda.so" "libggml-metal.so" "libggml-rpc.so" "libggml.so")
    foreach (_s IN LISTS _staged)
        if (_s MATCHES "^${_want}(\\.[0-9]+)?$")
            # a portable build's RPC backend is a module ggml loads itself (no soname version): dynamic
            if (_want STREQUAL "libggml-rpc.so" AND _s STREQUAL "libggml-rpc.so")
                continue()
            endif()
            list(APPEND _order "${_s}")
        endif()
    endforeach()
endforeach()
list(APPEND _order "libggml4j.so")

# Dynamically loaded backends (portable builds): loaded by ggml itself, by path.
set(_dynamic "")
foreach (_s IN LISTS _staged)
    if (NOT _s IN_LIST _order)
        list(APPEND _dynamic "${_s}")
    endif()
endforeach()

# The CUDA flavour, for the natives jar's classifier check (natives/pom.xml): a dynamic CUDA backend can be
# missing its driver and the CPU still runs; a linked one cannot load without it.
file(REMOVE "${STAGE_DIR}/ggml4j-cuda-dynamic.marker" "${STAGE_DIR}/ggml4j-cuda-linked.marker")
set(_cuda "none")
foreach (_s IN LISTS _staged)
    if (_s MATCHES "^libggml-cuda\\.so")
        if (_s IN_LIST _dynamic)
            set(_cuda "dynamic")
        else()
            set(_cuda "linked")
        endif()
    endif()
endforeach()
if (NOT _cuda STREQUAL "none")
    file(WRITE "${STAGE_DIR}/ggml4j-cuda-${_cuda}.marker" "${_cuda}\n")
endif()

if (REFERENCE_BIN_DIR AND EXISTS "${REFERENCE_BUILD_FILE}")
    include("${CMAKE_CURRENT_LIST_DIR}/ReferenceCheck.cmake")
endif()

list(JOIN _order "," _order_s)
list(JOIN _dynamic "," _dynamic_s)
set(_content "# written by native/cmake/Stage.cmake\n")
string(APPEND _content "ggml.version=${GGML_VERSION}\n")
string(APPEND _content "ggml.commit=${GGML_COMMIT}\n")
string(APPEND _content "cpu.mode=${CPU_MODE}\n")
string(APPEND _content "load.order=${_order_s}\n")
string(APPEND _content "backends.dynamic=${_dynamic_s}\n")
string(APPEND _content "probe.exe=ggml4j-probe\n")
string(APPEND _content "backend.cuda=${_cuda}\n")
string(APPEND _content "llama.source.dir=${LLAMA_SOURCE_DIR}\n")
string(APPEND _content "reference.bin.dir=${REFERENCE_BIN_DIR}\n")
string(APPEND _content "extra.bin.dir=${EXTRA_BIN_DIR}\n")
file(WRITE "${PROPS}.tmp" "${_content}")
file(RENAME "${PROPS}.tmp" "${PROPS}")

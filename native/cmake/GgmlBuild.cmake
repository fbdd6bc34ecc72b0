# Builds ggml (and, with GGML4J_REFERENCE, llama.cpp's reference tools) from the pinned tree as an external
# project whose binary directory lives in the ggml4j cache, keyed by commit and options. Its source
# directory is in the cache too, so a fresh clone of ggml4j anywhere reuses the same build.
#
# Defines imported targets ggml4j_ggml_base, ggml4j_ggml and (with GGML4J_REFERENCE) ggml4j_llama, and
# GGML4J_GGML_BIN_DIR, where the shared libraries and tools land.

include(ExternalProject)

set(_key "${GGML4J_LLAMA_COMMIT_SHORT}-${GGML4J_CPU_MODE}")
if (GGML4J_CUDA)
    string(APPEND _key "-cuda")
endif()
if (GGML4J_METAL)
    string(APPEND _key "-metal")
endif()
if (GGML4J_SANITIZE)
    string(APPEND _key "-asan")
endif()
set(GGML4J_GGML_BUILD_DIR "${GGML4J_CACHE_DIR}/build/${_key}")
set(GGML4J_GGML_BIN_DIR   "${GGML4J_GGML_BUILD_DIR}/bin")

set(_ref OFF)
if (GGML4J_REFERENCE AND NOT GGML4J_CPU_MODE STREQUAL "portable")
    # the reference tools are for comparisons on the build machine; a portable build is for shipping
    set(_ref ON)
endif()

set(_args
    -DCMAKE_BUILD_TYPE=Release
    -DBUILD_SHARED_LIBS=ON
    -DGGML_CCACHE=OFF
    -DLLAMA_OPENSSL=OFF
    # llama-server (reference for the serve command's load test) without its web UI and no asset download
    -DLLAMA_BUILD_SERVER=${_ref}
    -DLLAMA_BUILD_UI=OFF
    -DLLAMA_USE_PREBUILT_UI=OFF
    -DLLAMA_BUILD_APP=OFF
    -DLLAMA_BUILD_COMMON=${_ref}
    -DLLAMA_BUILD_TESTS=${_ref}
    -DLLAMA_BUILD_TOOLS=${_ref}
    -DLLAMA_BUILD_EXAMPLES=${_ref}
    # ggml's RPC backend (remote devices, ModelOptions.rpcServers) and, with the reference tools, its rpc-server
    -DGGML_RPC=ON
    -DGGML_RPC_RDMA=OFF
    -DCMAKE_C_COMPILER=${CMAKE_C_COMPILER}
    -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER})

if (GGML4J_CPU_MODE STREQUAL "native")
    list(APPEND _args -DGGML_NATIVE=ON -DGGML_BACKEND_DL=OFF)
    set(_targets ggml ggml-base ggml-cpu ggml-rpc)
elseif (GGML4J_CPU_MODE STREQUAL "portable")
    # Every x86_64 CPU variant, picked at run time by feature (no SIGILL on older CPUs).
    list(APPEND _args -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON)
    # with GGML_BACKEND_DL, target ggml depends on every backend module (CPU variants, CUDA): libllama is not built
    set(_targets ggml)
else()
    message(FATAL_ERROR "GGML4J_CPU_MODE must be 'native' or 'portable', not '${GGML4J_CPU_MODE}'")
endif()

if (GGML4J_CUDA)
    list(APPEND _args -DGGML_CUDA=ON)
    if (DEFINED CMAKE_CUDA_ARCHITECTURES)
        list(APPEND _args "-DCMAKE_CUDA_ARCHITECTURES=${CMAKE_CUDA_ARCHITECTURES}")
    endif()
    if (NOT GGML4J_CPU_MODE STREQUAL "portable")
        list(APPEND _targets ggml-cuda)
    endif()
    # ggml's CUDA backend links the driver library (libcuda.so, or the toolkit's stub of it) for its
    # virtual-memory pool. A toolkit assembled from NVIDIA's wheels has neither: build with ggml's
    # GGML_CUDA_NO_VMM, whose pool allocates through the runtime instead.
    find_package(CUDAToolkit QUIET)
    if (NOT CUDA_cuda_driver_LIBRARY)
        message(STATUS "ggml4j: no libcuda.so (driver or toolkit stub) to link: ggml's CUDA backend without VMM")
        list(APPEND _args -DGGML_CUDA_NO_VMM=ON)
    endif()
    if (GGML4J_CUBLAS_DIR)
        # a toolkit without cuBLAS (one assembled from NVIDIA's wheels): CMake's FindCUDAToolkit takes the
        # libraries from these cache entries, and nvcc the headers from the extra include directory
        foreach (_f IN ITEMS include/cublas_v2.h lib/libcublas.so lib/libcublasLt.so)
            if (NOT EXISTS "${GGML4J_CUBLAS_DIR}/${_f}")
                message(FATAL_ERROR "GGML4J_CUBLAS_DIR=${GGML4J_CUBLAS_DIR} has no ${_f}")
            endif()
        endforeach()
        list(APPEND _args
            "-DCUDA_cublas_LIBRARY=${GGML4J_CUBLAS_DIR}/lib/libcublas.so"
            "-DCUDA_cublasLt_LIBRARY=${GGML4J_CUBLAS_DIR}/lib/libcublasLt.so"
            "-DCMAKE_CUDA_FLAGS=-I${GGML4J_CUBLAS_DIR}/include")
    endif()
endif()
if (GGML4J_METAL)
    list(APPEND _args -DGGML_METAL=ON -DGGML_METAL_EMBED_LIBRARY=ON)
    if (NOT GGML4J_CPU_MODE STREQUAL "portable")
        list(APPEND _targets ggml-metal)
    endif()
endif()
if (GGML4J_SANITIZE)
    list(APPEND _args -DGGML_SANITIZE_ADDRESS=ON -DLLAMA_SANITIZE_ADDRESS=ON)
endif()
if (GGML4J_REFERENCE AND NOT GGML4J_CPU_MODE STREQUAL "portable")
    list(APPEND _targets llama llama-bench llama-simple llama-completion llama-quantize llama-tokenize test-tokenizer-0
        llama-batched llama-batched-bench llama-perplexity llama-imatrix llama-server llama-embedding ggml-rpc-server)
endif()

# What a second reference build needs when the kernel probe fails a CPU path on the build machine
# (native/cmake/ReferenceCheck.cmake): the same source, arguments and targets, in a build dir of its own.
set(GGML4J_REFERENCE_BUILD_FILE "${CMAKE_BINARY_DIR}/reference-build.cmake")
if (_ref)
    file(WRITE "${GGML4J_REFERENCE_BUILD_FILE}.tmp"
        "# written by native/cmake/GgmlBuild.cmake\n"
        "set(REF_SOURCE_DIR \"${GGML4J_LLAMA_SOURCE_DIR}\")\n"
        "set(REF_BUILD_BASE \"${GGML4J_GGML_BUILD_DIR}\")\n"
        "set(REF_ARGS [==[${_args}]==])\n"
        "set(REF_TARGETS [==[${_targets}]==])\n"
        "set(REF_INCLUDE_DIRS [==[${GGML4J_LLAMA_SOURCE_DIR}/include;${GGML4J_LLAMA_SOURCE_DIR}/ggml/include]==])\n")
    file(COPY_FILE "${GGML4J_REFERENCE_BUILD_FILE}.tmp" "${GGML4J_REFERENCE_BUILD_FILE}" ONLY_IF_DIFFERENT)
    file(REMOVE "${GGML4J_REFERENCE_BUILD_FILE}.tmp")
else()
    file(REMOVE "${GGML4J_REFERENCE_BUILD_FILE}")
endif()

cmake_host_system_information(RESULT _cores QUERY NUMBER_OF_LOGICAL_CORES)
set(_build_cmd "${CMAKE_COMMAND}" --build "${GGML4J_GGML_BUILD_DIR}" --parallel ${_cores})
foreach (_t IN LISTS _targets)
    list(APPEND _build_cmd --target ${_t})
endforeach()

set(_pre_build "${CMAKE_COMMAND}" -E true)
if (_ref)
    set(_pre_build "${CMAKE_COMMAND}" -DBUILD_DIR=${GGML4J_GGML_BUILD_DIR}
        -P "${CMAKE_CURRENT_LIST_DIR}/EnsureServer.cmake")
endif()

set(_lib_suffix "${CMAKE_SHARED_LIBRARY_SUFFIX}")
ExternalProject_Add(llamacpp
    SOURCE_DIR        "${GGML4J_LLAMA_SOURCE_DIR}"
    BINARY_DIR        "${GGML4J_GGML_BUILD_DIR}"
    CMAKE_ARGS        ${_args}
    BUILD_COMMAND     ${_pre_build}
    COMMAND           ${_build_cmd}
    INSTALL_COMMAND   ""
    BUILD_ALWAYS      ON
    USES_TERMINAL_BUILD ON
    BUILD_BYPRODUCTS  "${GGML4J_GGML_BIN_DIR}/libggml${_lib_suffix}"
                      "${GGML4J_GGML_BIN_DIR}/libggml-base${_lib_suffix}"
                      "${GGML4J_GGML_BIN_DIR}/libllama${_lib_suffix}"
                      "${GGML4J_GGML_BIN_DIR}/libllama-common${_lib_suffix}")

set(_inc "${GGML4J_LLAMA_SOURCE_DIR}/ggml/include")

add_library(ggml4j_ggml_base SHARED IMPORTED GLOBAL)
set_target_properties(ggml4j_ggml_base PROPERTIES
    IMPORTED_LOCATION "${GGML4J_GGML_BIN_DIR}/libggml-base${_lib_suffix}"
    INTERFACE_INCLUDE_DIRECTORIES "${_inc}")
add_dependencies(ggml4j_ggml_base llamacpp)

add_library(ggml4j_ggml SHARED IMPORTED GLOBAL)
set_target_properties(ggml4j_ggml PROPERTIES
    IMPORTED_LOCATION "${GGML4J_GGML_BIN_DIR}/libggml${_lib_suffix}"
    INTERFACE_INCLUDE_DIRECTORIES "${_inc}"
    INTERFACE_LINK_LIBRARIES ggml4j_ggml_base)
add_dependencies(ggml4j_ggml llamacpp)

if (GGML4J_REFERENCE)
    add_library(ggml4j_llama SHARED IMPORTED GLOBAL)
    set_target_properties(ggml4j_llama PROPERTIES
        IMPORTED_LOCATION "${GGML4J_GGML_BIN_DIR}/libllama${_lib_suffix}"
        INTERFACE_INCLUDE_DIRECTORIES "${GGML4J_LLAMA_SOURCE_DIR}/include;${_inc}"
        INTERFACE_LINK_LIBRARIES ggml4j_ggml)
    add_dependencies(ggml4j_llama llamacpp)

    # llama.cpp's common library: its Jinja engine renders the chat-template reference
    add_library(ggml4j_llama_common SHARED IMPORTED GLOBAL)
    set_target_properties(ggml4j_llama_common PROPERTIES
        IMPORTED_LOCATION "${GGML4J_GGML_BIN_DIR}/libllama-common${_lib_suffix}"
        INTERFACE_INCLUDE_DIRECTORIES "${GGML4J_LLAMA_SOURCE_DIR}/common"
        INTERFACE_LINK_LIBRARIES ggml4j_llama)
    add_dependencies(ggml4j_llama_common llamacpp)
endif()

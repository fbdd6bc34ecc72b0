# Run before each build of the shared reference tree (native/cmake/GgmlBuild.cmake): the cache directory is shared
# by every checkout, and one built without llama-server (or without ggml's RPC backend) may have configured it with
# LLAMA_BUILD_SERVER=OFF or GGML_RPC=OFF since; then configure it again with both on (the server is cheap: the other
# targets' objects stay valid; RPC changes ggml's public compile definitions, so that rebuilds llama.cpp once).
file(STRINGS "${BUILD_DIR}/CMakeCache.txt" _server REGEX "^LLAMA_BUILD_SERVER:BOOL=")
file(STRINGS "${BUILD_DIR}/CMakeCache.txt" _rpc REGEX "^GGML_RPC:BOOL=")
if (NOT _server STREQUAL "LLAMA_BUILD_SERVER:BOOL=ON" OR NOT _rpc STREQUAL "GGML_RPC:BOOL=ON")
    execute_process(COMMAND "${CMAKE_COMMAND}" -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF
        -DGGML_RPC=ON -DGGML_RPC_RDMA=OFF
        "${BUILD_DIR}" RESULT_VARIABLE _rc OUTPUT_QUIET)
    if (NOT _rc EQUAL 0)
        message(FATAL_ERROR "ggml4j: configuring llama-server and ggml-rpc in ${BUILD_DIR} failed")
    endif()
endif()

# Run before each build of the shared reference tree (native/cmake/GgmlBuild.cmake): the cache directory is shared
# by every checkout, and one built without llama-server may have configured it with LLAMA_BUILD_SERVER=OFF since;
# then configure it again with the server on (cheap: the other targets' objects stay valid).
file(STRINGS "${BUILD_DIR}/CMakeCache.txt" _server REGEX "^LLAMA_BUILD_SERVER:BOOL=")
if (NOT _server STREQUAL "LLAMA_BUILD_SERVER:BOOL=ON")
    execute_process(COMMAND "${CMAKE_COMMAND}" -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF
        "${BUILD_DIR}" RESULT_VARIABLE _rc OUTPUT_QUIET)
    if (NOT _rc EQUAL 0)
        message(FATAL_ERROR "ggml4j: configuring llama-server in ${BUILD_DIR} failed")
    endif()
endif()

# Obtains the pinned llama.cpp/ggml source tree into the ggml4j cache, verified, without ever committing it.
#
# Source: the npm package node-llama-cpp@3.22.1, whose llama/gitRelease.bundle is a git bundle of a full
# llama.cpp release. The tarball's sha256 is checked; the bundle is cloned and its HEAD checked against the
# pinned commit. Nothing is downloaded when the cache already holds the verified tree.
#
# Sets GGML4J_LLAMA_SOURCE_DIR.

set(GGML4J_NPM_PACKAGE   "node-llama-cpp")
set(GGML4J_NPM_VERSION   "3.22.1")
set(GGML4J_NPM_SHA256    "a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f")
set(GGML4J_LLAMA_COMMIT  "de3ff815ea7d559ee917f063901b8986f038abc6")
set(GGML4J_GGML_VERSION  "0.25.1")
string(SUBSTRING "${GGML4J_LLAMA_COMMIT}" 0 12 GGML4J_LLAMA_COMMIT_SHORT)

set(_dl_dir      "${GGML4J_CACHE_DIR}/dl")
set(_tarball     "${_dl_dir}/${GGML4J_NPM_PACKAGE}-${GGML4J_NPM_VERSION}.tgz")
set(_src_dir     "${GGML4J_CACHE_DIR}/src/llama.cpp-${GGML4J_LLAMA_COMMIT_SHORT}")
set(_src_marker  "${_src_dir}/.ggml4j-verified")

function(_ggml4j_check_tarball out_ok)
    set(${out_ok} FALSE PARENT_SCOPE)
    if (EXISTS "${_tarball}")
        file(SHA256 "${_tarball}" _hash)
        if (_hash STREQUAL GGML4J_NPM_SHA256)
            set(${out_ok} TRUE PARENT_SCOPE)
        else()
            message(WARNING "ggml4j: ${_tarball} has sha256 ${_hash}, expected ${GGML4J_NPM_SHA256}; fetching it again")
            file(REMOVE "${_tarball}")
        endif()
    endif()
endfunction()

if (NOT EXISTS "${_src_marker}")
    _ggml4j_check_tarball(_ok)
    if (NOT _ok)
        find_program(GGML4J_NPM npm)
        if (NOT GGML4J_NPM)
            message(FATAL_ERROR "ggml4j: npm is needed once to fetch ${GGML4J_NPM_PACKAGE}@${GGML4J_NPM_VERSION} "
                                "(the pinned ggml source); install Node.js/npm, or place the tarball at ${_tarball}")
        endif()
        file(MAKE_DIRECTORY "${_dl_dir}")
        message(STATUS "ggml4j: fetching ${GGML4J_NPM_PACKAGE}@${GGML4J_NPM_VERSION} with npm pack")
        execute_process(
            COMMAND "${GGML4J_NPM}" pack "${GGML4J_NPM_PACKAGE}@${GGML4J_NPM_VERSION}" --pack-destination "${_dl_dir}"
            RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
        if (NOT _rc EQUAL 0)
            message(FATAL_ERROR "ggml4j: could not fetch ${GGML4J_NPM_PACKAGE}@${GGML4J_NPM_VERSION} from the npm "
                                "registry (offline, and not cached at ${_tarball}?):\n${_err}")
        endif()
        _ggml4j_check_tarball(_ok)
        if (NOT _ok)
            message(FATAL_ERROR "ggml4j: the downloaded ${_tarball} does not have the pinned sha256 ${GGML4J_NPM_SHA256}")
        endif()
    endif()

    find_package(Git REQUIRED)
    set(_work "${GGML4J_CACHE_DIR}/src/.unpack-${GGML4J_LLAMA_COMMIT_SHORT}")
    file(REMOVE_RECURSE "${_work}" "${_src_dir}")
    file(MAKE_DIRECTORY "${_work}")
    file(ARCHIVE_EXTRACT INPUT "${_tarball}" DESTINATION "${_work}" PATTERNS "package/llama/gitRelease.bundle")
    set(_bundle "${_work}/package/llama/gitRelease.bundle")
    if (NOT EXISTS "${_bundle}")
        message(FATAL_ERROR "ggml4j: ${_tarball} has no package/llama/gitRelease.bundle")
    endif()
    message(STATUS "ggml4j: unpacking llama.cpp ${GGML4J_LLAMA_COMMIT_SHORT} into ${_src_dir}")
    execute_process(COMMAND "${GIT_EXECUTABLE}" -c advice.detachedHead=false clone --quiet "${_bundle}" "${_src_dir}"
                    RESULT_VARIABLE _rc ERROR_VARIABLE _err)
    if (NOT _rc EQUAL 0)
        message(FATAL_ERROR "ggml4j: git clone of the bundle failed:\n${_err}")
    endif()
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${_src_dir}" rev-parse HEAD
                    OUTPUT_VARIABLE _head OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
    if (NOT _rc EQUAL 0 OR NOT _head STREQUAL GGML4J_LLAMA_COMMIT)
        file(REMOVE_RECURSE "${_src_dir}")
        message(FATAL_ERROR "ggml4j: the bundle's HEAD is '${_head}', expected ${GGML4J_LLAMA_COMMIT}")
    endif()
    file(REMOVE_RECURSE "${_work}")
    file(WRITE "${_src_marker}" "${GGML4J_LLAMA_COMMIT}\n")
endif()

set(GGML4J_LLAMA_SOURCE_DIR "${_src_dir}")
message(STATUS "ggml4j: pinned llama.cpp source at ${GGML4J_LLAMA_SOURCE_DIR}")

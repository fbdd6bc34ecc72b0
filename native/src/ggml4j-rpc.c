/*
 * ggml's RPC backend through the backend registry: ggml_backend_reg_by_name("RPC") and its proc addresses, as
 * llama.cpp's tools reach it, so the same code serves builds with the backend linked in and portable builds that
 * load it as a module. The checks here keep malformed arguments away from ggml; whether an endpoint answers and
 * speaks this protocol version the Java side checks before it calls ggml4j_rpc_add_server (ggml aborts otherwise).
 */
#include "ggml4j.h"
#include "ggml4j-internal.h"

#include "ggml-backend.h"
#include "ggml-rpc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef ggml_backend_reg_t (*ggml4j_rpc_add_server_t)(const char * endpoint);
typedef void (*ggml4j_rpc_start_server_t)(const char * endpoint, const char * cache_dir, size_t n_threads,
                                          size_t n_devices, ggml_backend_dev_t * devices);

static void * rpc_proc(const char * name) {
    ggml_backend_reg_t reg = ggml_backend_reg_by_name("RPC");
    return reg != NULL ? ggml_backend_reg_get_proc_address(reg, name) : NULL;
}

int32_t ggml4j_rpc_proto_version(void) {
    if (rpc_proc("ggml_backend_rpc_add_server") == NULL) {
        return GGML4J_E_UNSUPPORTED;
    }
    return (RPC_PROTO_MAJOR_VERSION << 16) | (RPC_PROTO_MINOR_VERSION << 8) | RPC_PROTO_PATCH_VERSION;
}

/* "host:port" with a non-empty host without ':' and a port 1..65535 in decimal digits only. */
static bool valid_endpoint(const char * endpoint) {
    if (endpoint == NULL) {
        return false;
    }
    const char * colon = strchr(endpoint, ':');
    if (colon == NULL || colon == endpoint || strchr(colon + 1, ':') != NULL) {
        return false;
    }
    size_t digits = strlen(colon + 1);
    if (digits == 0 || digits > 5) {
        return false;
    }
    long port = 0;
    for (const char * p = colon + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
        port = port * 10 + (*p - '0');
    }
    return port >= 1 && port <= 65535 && (size_t) (colon - endpoint) < 256;
}

static pthread_mutex_t g_rpc_lock = PTHREAD_MUTEX_INITIALIZER;
static char g_rpc_connected[2048];

const char * ggml4j_rpc_connected(void) {
    /* read from the abort handler without the lock: the buffer only grows and stays NUL-terminated */
    return g_rpc_connected[0] != '\0' ? g_rpc_connected : NULL;
}

static void remember(const char * endpoint) {
    pthread_mutex_lock(&g_rpc_lock);
    size_t len = strlen(g_rpc_connected);
    size_t add = strlen(endpoint);
    if (strstr(g_rpc_connected, endpoint) == NULL && len + add + 3 < sizeof(g_rpc_connected)) {
        if (len > 0) {
            memcpy(g_rpc_connected + len, ", ", 2);
            len += 2;
        }
        memcpy(g_rpc_connected + len, endpoint, add);
        g_rpc_connected[len + add] = '\0';
    }
    pthread_mutex_unlock(&g_rpc_lock);
}

int32_t ggml4j_rpc_add_server(const char * endpoint, ggml_backend_dev_t * out, int32_t max) {
    if (!valid_endpoint(endpoint) || max < 0 || (max > 0 && out == NULL)) {
        return GGML4J_E_INVALID_ARG;
    }
    ggml4j_rpc_add_server_t add = (ggml4j_rpc_add_server_t) rpc_proc("ggml_backend_rpc_add_server");
    if (add == NULL) {
        return GGML4J_E_UNSUPPORTED;
    }
    remember(endpoint);
    ggml_backend_reg_t reg = add(endpoint);
    if (reg == NULL) {
        return 0; /* the server has no devices */
    }
    size_t n = ggml_backend_reg_dev_count(reg);
    for (size_t i = 0; i < n && i < (size_t) max; i++) {
        out[i] = ggml_backend_reg_dev_get(reg, i);
    }
    return (int32_t) n;
}

int32_t ggml4j_rpc_start_server(const char * endpoint, const char * cache_dir, int32_t n_threads,
                                ggml_backend_dev_t * devices, int32_t n_devices) {
    if (!valid_endpoint(endpoint) || n_threads < 1 || n_devices < 1 || devices == NULL) {
        return GGML4J_E_INVALID_ARG;
    }
    for (int32_t i = 0; i < n_devices; i++) {
        if (devices[i] == NULL) {
            return GGML4J_E_INVALID_ARG;
        }
    }
    ggml4j_rpc_start_server_t start = (ggml4j_rpc_start_server_t) rpc_proc("ggml_backend_rpc_start_server");
    if (start == NULL) {
        return GGML4J_E_UNSUPPORTED;
    }
    start(endpoint, cache_dir, (size_t) n_threads, (size_t) n_devices, devices);
    return GGML4J_E_IO; /* it serves until binding or accepting fails */
}

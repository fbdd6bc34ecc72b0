/*
 * libggml4j: ggml4j's own thin C layer over ggml.
 *
 * It holds what ggml lacks for a safe Java binding: argument checks that keep user input away from
 * GGML_ASSERT (which aborts the process), CPU-backend entry points reached through the backend registry
 * (so they also work when the CPU backend is a dynamically loaded variant), and layout facts the Java
 * side compares against its jextract bindings at load time.
 *
 * Every function that can fail returns a ggml4j_status; 0 is success.
 */
#ifndef GGML4J_H
#define GGML4J_H

#include <stddef.h>
#include <stdint.h>

#include "ggml.h"
#include "ggml-backend.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#    define GGML4J_API __declspec(dllexport)
#else
#    define GGML4J_API __attribute__((visibility("default")))
#endif

/* Bumped whenever a signature or a struct layout the Java side relies on changes. */
#define GGML4J_ABI_VERSION 3

typedef enum ggml4j_status {
    GGML4J_OK               =  0,
    GGML4J_E_INVALID_ARG    = -1, /* an argument is out of its domain (null, negative, wrong type) */
    GGML4J_E_OUT_OF_RANGE   = -2, /* an offset/size/index falls outside the object it addresses */
    GGML4J_E_UNSUPPORTED    = -3, /* the backend or build does not provide this operation */
    GGML4J_E_ALLOC          = -4, /* memory or buffer allocation failed */
    GGML4J_E_COMPUTE        = -5, /* graph computation failed */
    GGML4J_E_ABORTED        = -6, /* computation was cancelled through the cancel flag */
    GGML4J_E_IO             = -7, /* a socket could not be opened, bound or kept (RPC) */
} ggml4j_status;

/*
 * What ggml4j_layout reports. The Java side reads and writes the fields of ggml_tensor it needs at these
 * offsets (so its accesses follow the library it loaded), and checks the sizes and constants against its
 * generated bindings.
 */
typedef enum ggml4j_layout_item {
    GGML4J_SIZEOF_GGML_TENSOR       = 0,
    GGML4J_SIZEOF_GGML_INIT_PARAMS  = 1,
    GGML4J_OFFSETOF_TENSOR_DATA     = 2,
    GGML4J_OFFSETOF_TENSOR_NAME     = 3,
    GGML4J_OFFSETOF_TENSOR_NB       = 4,
    GGML4J_GGML_MAX_DIMS            = 5,
    GGML4J_GGML_MAX_NAME            = 6,
    GGML4J_GGML_TYPE_COUNT          = 7,
    GGML4J_GGML_OP_COUNT            = 8,
    GGML4J_SIZEOF_BACKEND_FEATURE   = 9,
    GGML4J_OFFSETOF_TENSOR_TYPE     = 10,
    GGML4J_OFFSETOF_TENSOR_BUFFER   = 11,
    GGML4J_OFFSETOF_TENSOR_NE       = 12,
} ggml4j_layout_item;

GGML4J_API int32_t      ggml4j_abi_version(void);
/* The ggml version and commit libggml4j was compiled against (compare with ggml_version()/ggml_commit()). */
GGML4J_API const char * ggml4j_built_ggml_version(void);
GGML4J_API const char * ggml4j_built_ggml_commit(void);
/* Layout facts; -1 for an unknown item. */
GGML4J_API int64_t      ggml4j_layout(int32_t item);
GGML4J_API const char * ggml4j_status_string(int32_t status);

/*
 * Installs ggml's abort callback: the message is written to stderr, prefixed "ggml4j: native abort:",
 * and kept so it can still be read from a core file or a crash handler. ggml aborts the process after.
 */
GGML4J_API void         ggml4j_install_abort_handler(void);
GGML4J_API const char * ggml4j_last_abort_message(void);

/* ggml's log goes to stderr from this level up (ggml_log_level: 1 debug, 2 info, 3 warn, 4 error; 5 = off). */
GGML4J_API void         ggml4j_log_set_level(int32_t level);
GGML4J_API int32_t      ggml4j_log_get_level(void);

/*
 * Backends. ggml4j_load_backends loads every dynamically built backend found in dir (portable builds); in
 * builds with the backends linked in it does nothing. Returns the number of registered backends.
 */
GGML4J_API int32_t      ggml4j_load_backends(const char * dir);

/* CPU backend entry points, reached through ggml_backend_reg_get_proc_address. */
GGML4J_API int32_t      ggml4j_backend_set_n_threads(ggml_backend_t backend, int32_t n_threads);
/*
 * Cancellation: while *flag is non-zero, graph computation on this backend stops at the next node
 * boundary and the compute call reports GGML_STATUS_ABORTED. flag may be NULL to remove the hook.
 */
GGML4J_API int32_t      ggml4j_backend_set_cancel_flag(ggml_backend_t backend, const volatile int32_t * flag);
/*
 * The extra buffer types of a device (CPU weight repacking, AMX): fills out with up to max entries and
 * returns the total count (0 when the device has none).
 */
GGML4J_API int32_t      ggml4j_dev_extra_bufts(ggml_backend_dev_t dev, ggml_backend_buffer_type_t * out, int32_t max);
/* CPU features as "NAME=VALUE" pairs joined by ';' into buf; returns the length needed (excluding NUL). */
GGML4J_API int32_t      ggml4j_backend_features(ggml_backend_reg_t reg, char * buf, int32_t buf_size);

/* Checked copies between host memory and a backend tensor (ggml asserts on out-of-range offsets). */
GGML4J_API int32_t      ggml4j_tensor_set(struct ggml_tensor * tensor, const void * data, size_t offset, size_t size);
GGML4J_API int32_t      ggml4j_tensor_get(const struct ggml_tensor * tensor, void * data, size_t offset, size_t size);

/*
 * Checked quantization of nrows rows of n_per_row floats into dst (dst_capacity bytes). Rejects types
 * that cannot be quantized, row lengths that are not a multiple of the block size, types that need an
 * importance matrix when none is given, and a destination too small. *written receives the byte count.
 */
GGML4J_API int32_t      ggml4j_quantize(enum ggml_type type, const float * src, void * dst, size_t dst_capacity,
                                        int64_t nrows, int64_t n_per_row, const float * imatrix, size_t * written);
/* Checked conversion of rows of any type with a to-float routine back to float (for verification). */
GGML4J_API int32_t      ggml4j_dequantize(enum ggml_type type, const void * src, size_t src_size, float * dst,
                                          int64_t n_values);

/*
 * The greedy pick over n floats (a row of logits): *index receives the first index of the largest value (ties
 * go to the lowest index) and *non_finite the index of the first NaN or infinity, or -1 when all are finite.
 * Reads x in order, vectorizably: the hot loop of greedy decoding, kept out of the JIT's reach.
 */
GGML4J_API int32_t      ggml4j_argmax_f32(const float * x, int64_t n, int64_t * index, int64_t * non_finite);

/* Graph computation through a scheduler, as a status (GGML_STATUS_* mapped to ggml4j_status). */
GGML4J_API int32_t      ggml4j_sched_compute(ggml_backend_sched_t sched, struct ggml_cgraph * graph);

/*
 * ggml's RPC backend (ggml-rpc), reached through the backend registry (linked or dynamically loaded alike).
 * ggml aborts the process when an endpoint cannot be reached or its handshake fails, so the Java side checks
 * each endpoint (TCP connect, HELLO, protocol version) before it calls ggml4j_rpc_add_server.
 *
 * ggml4j_rpc_proto_version: the protocol this build speaks as major << 16 | minor << 8 | patch, or
 * GGML4J_E_UNSUPPORTED when the build has no RPC backend.
 * ggml4j_rpc_add_server: connects to "host:port" (kept open for the life of the process) and writes up to max
 * of the server's devices to out; returns how many the server has, or a status.
 * ggml4j_rpc_start_server: serves the given local devices on "ipv4:port" (cache_dir may be NULL) one client at
 * a time; returns only when the socket cannot be bound or accepting fails (GGML4J_E_IO).
 */
GGML4J_API int32_t      ggml4j_rpc_proto_version(void);
GGML4J_API int32_t      ggml4j_rpc_add_server(const char * endpoint, ggml_backend_dev_t * out, int32_t max);
GGML4J_API int32_t      ggml4j_rpc_start_server(const char * endpoint, const char * cache_dir, int32_t n_threads,
                                                ggml_backend_dev_t * devices, int32_t n_devices);

#ifdef __cplusplus
}
#endif

#endif /* GGML4J_H */

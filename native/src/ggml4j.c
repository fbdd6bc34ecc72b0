/*
 * libggml4j: checks and helpers between ggml4j's Java code and ggml. See ggml4j.h.
 */
#include "ggml4j.h"
#include "ggml4j-internal.h"

#include "ggml-backend.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GGML4J_GGML_VERSION
#    define GGML4J_GGML_VERSION "unknown"
#endif
#ifndef GGML4J_GGML_COMMIT
#    define GGML4J_GGML_COMMIT "unknown"
#endif

int32_t ggml4j_abi_version(void) {
    return GGML4J_ABI_VERSION;
}

const char * ggml4j_built_ggml_version(void) {
    return GGML4J_GGML_VERSION;
}

const char * ggml4j_built_ggml_commit(void) {
    return GGML4J_GGML_COMMIT;
}

int64_t ggml4j_layout(int32_t item) {
    switch ((ggml4j_layout_item) item) {
        case GGML4J_SIZEOF_GGML_TENSOR:      return (int64_t) sizeof(struct ggml_tensor);
        case GGML4J_SIZEOF_GGML_INIT_PARAMS: return (int64_t) sizeof(struct ggml_init_params);
        case GGML4J_OFFSETOF_TENSOR_DATA:    return (int64_t) offsetof(struct ggml_tensor, data);
        case GGML4J_OFFSETOF_TENSOR_NAME:    return (int64_t) offsetof(struct ggml_tensor, name);
        case GGML4J_OFFSETOF_TENSOR_NB:      return (int64_t) offsetof(struct ggml_tensor, nb);
        case GGML4J_GGML_MAX_DIMS:           return GGML_MAX_DIMS;
        case GGML4J_GGML_MAX_NAME:           return GGML_MAX_NAME;
        case GGML4J_GGML_TYPE_COUNT:         return GGML_TYPE_COUNT;
        case GGML4J_GGML_OP_COUNT:           return GGML_OP_COUNT;
        case GGML4J_SIZEOF_BACKEND_FEATURE:  return (int64_t) sizeof(struct ggml_backend_feature);
        case GGML4J_OFFSETOF_TENSOR_TYPE:    return (int64_t) offsetof(struct ggml_tensor, type);
        case GGML4J_OFFSETOF_TENSOR_BUFFER:  return (int64_t) offsetof(struct ggml_tensor, buffer);
        case GGML4J_OFFSETOF_TENSOR_NE:      return (int64_t) offsetof(struct ggml_tensor, ne);
    }
    return -1;
}

const char * ggml4j_status_string(int32_t status) {
    switch ((ggml4j_status) status) {
        case GGML4J_OK:             return "ok";
        case GGML4J_E_INVALID_ARG:  return "invalid argument";
        case GGML4J_E_OUT_OF_RANGE: return "offset or size out of range";
        case GGML4J_E_UNSUPPORTED:  return "operation not supported by this backend or build";
        case GGML4J_E_ALLOC:        return "allocation failed";
        case GGML4J_E_COMPUTE:      return "graph computation failed";
        case GGML4J_E_ABORTED:      return "computation cancelled";
        case GGML4J_E_IO:           return "socket error";
    }
    return "unknown status";
}

/* ---- abort and log -------------------------------------------------------------------------------- */

static char g_last_abort[4096];

static void ggml4j_abort_handler(const char * message) {
    /* Keep a copy first: the process dies right after this returns. */
    if (message != NULL) {
        strncpy(g_last_abort, message, sizeof(g_last_abort) - 1);
        g_last_abort[sizeof(g_last_abort) - 1] = '\0';
    }
    fprintf(stderr, "ggml4j: native abort: %s\n", message != NULL ? message : "(no message)");
    const char * rpc = ggml4j_rpc_connected();
    if (rpc != NULL && message != NULL && strstr(message, "RPC") != NULL) {
        /* ggml's RPC client cannot recover from a lost server: say which endpoints were in use */
        fprintf(stderr, "ggml4j: an RPC server this process uses (%s) stopped answering or broke the protocol; "
                        "ggml's RPC client cannot recover from that, so the process ends. Restart the server and "
                        "reload the model\n", rpc);
    } else {
        fprintf(stderr, "ggml4j: this is a bug in ggml4j's checks or in ggml; please report it with the message above\n");
    }
    fflush(stderr);
}

void ggml4j_install_abort_handler(void) {
    ggml_set_abort_callback(ggml4j_abort_handler);
}

const char * ggml4j_last_abort_message(void) {
    return g_last_abort;
}

static volatile int32_t g_log_level = GGML_LOG_LEVEL_WARN;
static volatile int32_t g_last_level = GGML_LOG_LEVEL_NONE;

static void ggml4j_log_callback(enum ggml_log_level level, const char * text, void * user_data) {
    (void) user_data;
    /* CONT continues the previous message at its level. */
    int32_t effective = level == GGML_LOG_LEVEL_CONT ? g_last_level : (int32_t) level;
    if (level != GGML_LOG_LEVEL_CONT) {
        g_last_level = (int32_t) level;
    }
    if (effective >= g_log_level && effective != GGML_LOG_LEVEL_NONE) {
        fputs(text, stderr);
        fflush(stderr);
    }
}

void ggml4j_log_set_level(int32_t level) {
    g_log_level = level;
    ggml_log_set(ggml4j_log_callback, NULL);
}

int32_t ggml4j_log_get_level(void) {
    return g_log_level;
}

/* ---- backends -------------------------------------------------------------------------------------- */

int32_t ggml4j_load_backends(const char * dir) {
#ifdef GGML_BACKEND_DL
    if (dir != NULL) {
        ggml_backend_load_all_from_path(dir);
    } else {
        ggml_backend_load_all();
    }
#else
    (void) dir;
#endif
    return (int32_t) ggml_backend_reg_count();
}

static void * backend_proc(ggml_backend_t backend, const char * name) {
    if (backend == NULL) {
        return NULL;
    }
    ggml_backend_dev_t dev = ggml_backend_get_device(backend);
    if (dev == NULL) {
        return NULL;
    }
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
    if (reg == NULL) {
        return NULL;
    }
    return ggml_backend_reg_get_proc_address(reg, name);
}

int32_t ggml4j_backend_set_n_threads(ggml_backend_t backend, int32_t n_threads) {
    if (backend == NULL || n_threads < 1 || n_threads > 4096) {
        return GGML4J_E_INVALID_ARG;
    }
    ggml_backend_set_n_threads_t fn = (ggml_backend_set_n_threads_t) backend_proc(backend, "ggml_backend_set_n_threads");
    if (fn == NULL) {
        return GGML4J_E_UNSUPPORTED;
    }
    fn(backend, n_threads);
    return GGML4J_OK;
}

static bool ggml4j_cancel_requested(void * data) {
    const volatile int32_t * flag = (const volatile int32_t *) data;
    return flag != NULL && *flag != 0;
}

typedef void (*ggml4j_set_abort_callback_t)(ggml_backend_t, ggml_abort_callback, void *);

int32_t ggml4j_backend_set_cancel_flag(ggml_backend_t backend, const volatile int32_t * flag) {
    if (backend == NULL) {
        return GGML4J_E_INVALID_ARG;
    }
    ggml4j_set_abort_callback_t fn =
        (ggml4j_set_abort_callback_t) backend_proc(backend, "ggml_backend_set_abort_callback");
    if (fn == NULL) {
        return GGML4J_E_UNSUPPORTED;
    }
    fn(backend, flag != NULL ? ggml4j_cancel_requested : NULL, (void *) flag);
    return GGML4J_OK;
}

int32_t ggml4j_dev_extra_bufts(ggml_backend_dev_t dev, ggml_backend_buffer_type_t * out, int32_t max) {
    if (dev == NULL || max < 0 || (max > 0 && out == NULL)) {
        return GGML4J_E_INVALID_ARG;
    }
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
    if (reg == NULL) {
        return 0;
    }
    ggml_backend_dev_get_extra_bufts_t fn =
        (ggml_backend_dev_get_extra_bufts_t) ggml_backend_reg_get_proc_address(reg, "ggml_backend_dev_get_extra_bufts");
    if (fn == NULL) {
        return 0;
    }
    ggml_backend_buffer_type_t * list = fn(dev);
    int32_t n = 0;
    for (; list != NULL && list[n] != NULL; n++) {
        if (n < max) {
            out[n] = list[n];
        }
    }
    return n;
}

int32_t ggml4j_backend_features(ggml_backend_reg_t reg, char * buf, int32_t buf_size) {
    if (reg == NULL || buf_size < 0 || (buf_size > 0 && buf == NULL)) {
        return GGML4J_E_INVALID_ARG;
    }
    ggml_backend_get_features_t fn =
        (ggml_backend_get_features_t) ggml_backend_reg_get_proc_address(reg, "ggml_backend_get_features");
    int32_t needed = 0;
    if (buf_size > 0) {
        buf[0] = '\0';
    }
    if (fn == NULL) {
        return 0;
    }
    for (struct ggml_backend_feature * f = fn(reg); f != NULL && f->name != NULL; f++) {
        char item[256];
        int len = snprintf(item, sizeof(item), "%s%s=%s", needed > 0 ? ";" : "", f->name, f->value != NULL ? f->value : "");
        if (len < 0) {
            continue;
        }
        if (len >= (int) sizeof(item)) {
            len = (int) sizeof(item) - 1;
        }
        if (needed + len < buf_size) {
            memcpy(buf + needed, item, (size_t) len);
            buf[needed + len] = '\0';
        }
        needed += len;
    }
    return needed;
}

/* ---- tensors --------------------------------------------------------------------------------------- */

static int32_t check_tensor_range(const struct ggml_tensor * tensor, const void * data, size_t offset, size_t size) {
    if (tensor == NULL || (data == NULL && size > 0)) {
        return GGML4J_E_INVALID_ARG;
    }
    if (tensor->buffer == NULL && (tensor->view_src == NULL || tensor->view_src->buffer == NULL)) {
        return GGML4J_E_INVALID_ARG; /* not allocated: ggml would assert */
    }
    if (tensor->data == NULL) {
        return GGML4J_E_INVALID_ARG;
    }
    size_t nbytes = ggml_nbytes(tensor);
    if (offset > nbytes || size > nbytes - offset) {
        return GGML4J_E_OUT_OF_RANGE;
    }
    return GGML4J_OK;
}

int32_t ggml4j_tensor_set(struct ggml_tensor * tensor, const void * data, size_t offset, size_t size) {
    int32_t st = check_tensor_range(tensor, data, offset, size);
    if (st != GGML4J_OK) {
        return st;
    }
    if (size > 0) {
        ggml_backend_tensor_set(tensor, data, offset, size);
    }
    return GGML4J_OK;
}

int32_t ggml4j_tensor_get(const struct ggml_tensor * tensor, void * data, size_t offset, size_t size) {
    int32_t st = check_tensor_range(tensor, data, offset, size);
    if (st != GGML4J_OK) {
        return st;
    }
    if (size > 0) {
        ggml_backend_tensor_get(tensor, data, offset, size);
    }
    return GGML4J_OK;
}

/* ---- greedy pick ----------------------------------------------------------------------------------- */

/*
 * Two passes over the row: the maximum (and whether any value is NaN or infinite: v - v is 0 for finite v and NaN
 * otherwise, so a sum of them is 0 exactly when all are finite), then the first index holding it. x86-64 runs both
 * in vector registers, AVX2 where the CPU has it (chosen at run time, as the library is built for the baseline);
 * other targets run the scalar loops. max(v, m) as vmaxps computes it is v > m ? v : m, the scalar loop's rule, so
 * NaN never becomes the maximum on either path.
 */
static void argmax_scan_scalar(const float * x, int64_t from, int64_t n, float * max, float * z) {
    float m = *max;
    float s = *z;
    for (int64_t i = from; i < n; i++) {
        const float v = x[i];
        m = v > m ? v : m;
        s += v - v;
    }
    *max = m;
    *z = s;
}

static int64_t argmax_find_scalar(const float * x, int64_t from, int64_t n, float max) {
    for (int64_t i = from; i < n; i++) {
        if (x[i] == max) {
            return i;
        }
    }
    return -1;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

static float argmax_hmax(const float * lanes, int count, float m) {
    for (int j = 0; j < count; j++) {
        m = lanes[j] > m ? lanes[j] : m;
    }
    return m;
}

static float argmax_hsum(const float * lanes, int count, float s) {
    for (int j = 0; j < count; j++) {
        s += lanes[j];
    }
    return s;
}

/*
 * One body for both vector widths (W floats a register): two registers a round for the maximum and the
 * finiteness sum, the lanes folded and the tail scanned by the scalar loops, then the first index of the maximum.
 */
#define ARGMAX_VECTOR(NAME, ATTR, VEC, W, SET1, ZERO, LOADU, MAX, ADD, SUB, STOREU, EQ_MASK)        \
    ATTR static int64_t NAME(const float * x, int64_t n, float * z) {                              \
        VEC m0 = SET1(-INFINITY);                                                                   \
        VEC m1 = m0;                                                                                \
        VEC z0 = ZERO();                                                                            \
        VEC z1 = z0;                                                                                \
        int64_t i = 0;                                                                              \
        for (; i + 2 * (W) <= n; i += 2 * (W)) {                                                    \
            const VEC a = LOADU(x + i);                                                             \
            const VEC b = LOADU(x + i + (W));                                                       \
            m0 = MAX(a, m0);                                                                        \
            m1 = MAX(b, m1);                                                                        \
            z0 = ADD(z0, SUB(a, a));                                                                \
            z1 = ADD(z1, SUB(b, b));                                                                \
        }                                                                                           \
        float lanes[2 * (W)];                                                                       \
        STOREU(lanes, m0);                                                                          \
        STOREU(lanes + (W), m1);                                                                    \
        float max = argmax_hmax(lanes, 2 * (W), -INFINITY);                                         \
        STOREU(lanes, z0);                                                                          \
        STOREU(lanes + (W), z1);                                                                    \
        float s = argmax_hsum(lanes, 2 * (W), 0.0f);                                                \
        argmax_scan_scalar(x, i, n, &max, &s);                                                      \
        *z = s;                                                                                     \
        const VEC mv = SET1(max);                                                                   \
        int64_t k = 0;                                                                              \
        for (; k + (W) <= n; k += (W)) {                                                            \
            const int mask = EQ_MASK(LOADU(x + k), mv);                                             \
            if (mask != 0) {                                                                        \
                return k + __builtin_ctz((unsigned) mask);                                          \
            }                                                                                       \
        }                                                                                           \
        return argmax_find_scalar(x, k, n, max);                                                    \
    }

#define ARGMAX_AVX2_EQ_MASK(a, b) _mm256_movemask_ps(_mm256_cmp_ps((a), (b), _CMP_EQ_OQ))
#define ARGMAX_SSE2_EQ_MASK(a, b) _mm_movemask_ps(_mm_cmpeq_ps((a), (b)))

ARGMAX_VECTOR(argmax_avx2, __attribute__((target("avx2"))), __m256, 8, _mm256_set1_ps, _mm256_setzero_ps,
              _mm256_loadu_ps, _mm256_max_ps, _mm256_add_ps, _mm256_sub_ps, _mm256_storeu_ps, ARGMAX_AVX2_EQ_MASK)
ARGMAX_VECTOR(argmax_sse2, /* the x86-64 baseline */, __m128, 4, _mm_set1_ps, _mm_setzero_ps, _mm_loadu_ps,
              _mm_max_ps, _mm_add_ps, _mm_sub_ps, _mm_storeu_ps, ARGMAX_SSE2_EQ_MASK)
#endif

int32_t ggml4j_argmax_f32(const float * x, int64_t n, int64_t * index, int64_t * non_finite) {
    if (x == NULL || index == NULL || non_finite == NULL || n <= 0) {
        return GGML4J_E_INVALID_ARG;
    }
    float z = 0.0f;
    int64_t at;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    static int path = -1; /* 0 scalar, 1 SSE2, 2 AVX2; GGML4J_ARGMAX=scalar|sse2 forces one (for tests) */
    if (path < 0) {
        const char * force = getenv("GGML4J_ARGMAX");
        __builtin_cpu_init();
        path = force != NULL && strcmp(force, "scalar") == 0 ? 0
             : force != NULL && strcmp(force, "sse2") == 0   ? 1
             : __builtin_cpu_supports("avx2")                ? 2 : 1;
    }
    if (path == 0) {
        float max = -INFINITY;
        argmax_scan_scalar(x, 0, n, &max, &z);
        at = argmax_find_scalar(x, 0, n, max);
    } else {
        at = path == 2 ? argmax_avx2(x, n, &z) : argmax_sse2(x, n, &z);
    }
#else
    float max = -INFINITY;
    argmax_scan_scalar(x, 0, n, &max, &z);
    at = argmax_find_scalar(x, 0, n, max);
#endif
    *index = at < 0 ? 0 : at; /* a row of only NaN and -inf: 0, and flagged below */
    *non_finite = -1;
    if (z != 0.0f) { /* NaN compares unequal */
        for (int64_t k = 0; k < n; k++) {
            if (!isfinite(x[k])) {
                *non_finite = k;
                break;
            }
        }
    }
    return GGML4J_OK;
}

/* ---- quantization ---------------------------------------------------------------------------------- */

static bool quantizable(enum ggml_type type) {
    switch (type) {
        case GGML_TYPE_F32:    case GGML_TYPE_F16:    case GGML_TYPE_BF16:
        case GGML_TYPE_Q1_0:   case GGML_TYPE_Q2_0:
        case GGML_TYPE_Q4_0:   case GGML_TYPE_Q4_1:   case GGML_TYPE_Q5_0:   case GGML_TYPE_Q5_1:
        case GGML_TYPE_Q8_0:   case GGML_TYPE_MXFP4:  case GGML_TYPE_NVFP4:
        case GGML_TYPE_Q2_K:   case GGML_TYPE_Q3_K:   case GGML_TYPE_Q4_K:   case GGML_TYPE_Q5_K:
        case GGML_TYPE_Q6_K:   case GGML_TYPE_TQ1_0:  case GGML_TYPE_TQ2_0:
        case GGML_TYPE_IQ2_XXS: case GGML_TYPE_IQ2_XS: case GGML_TYPE_IQ3_XXS: case GGML_TYPE_IQ3_S:
        case GGML_TYPE_IQ2_S:  case GGML_TYPE_IQ1_S:  case GGML_TYPE_IQ1_M:  case GGML_TYPE_IQ4_NL:
        case GGML_TYPE_IQ4_XS:
            return true;
        default:
            return false;
    }
}

int32_t ggml4j_quantize(enum ggml_type type, const float * src, void * dst, size_t dst_capacity,
                        int64_t nrows, int64_t n_per_row, const float * imatrix, size_t * written) {
    if (written != NULL) {
        *written = 0;
    }
    if ((int) type < 0 || type >= GGML_TYPE_COUNT || !quantizable(type)) {
        return GGML4J_E_UNSUPPORTED;
    }
    if (src == NULL || dst == NULL || nrows < 0 || n_per_row <= 0) {
        return GGML4J_E_INVALID_ARG;
    }
    if (n_per_row % ggml_blck_size(type) != 0) {
        return GGML4J_E_INVALID_ARG;
    }
    if (ggml_quantize_requires_imatrix(type) && imatrix == NULL) {
        return GGML4J_E_INVALID_ARG;
    }
    size_t row_size = ggml_row_size(type, n_per_row);
    if (nrows > 0 && row_size > dst_capacity / (size_t) nrows) {
        return GGML4J_E_OUT_OF_RANGE;
    }
    size_t n = ggml_quantize_chunk(type, src, dst, 0, nrows, n_per_row, imatrix);
    if (written != NULL) {
        *written = n;
    }
    return GGML4J_OK;
}

int32_t ggml4j_dequantize(enum ggml_type type, const void * src, size_t src_size, float * dst, int64_t n_values) {
    if ((int) type < 0 || type >= GGML_TYPE_COUNT || src == NULL || dst == NULL || n_values < 0) {
        return GGML4J_E_INVALID_ARG;
    }
    const struct ggml_type_traits * traits = ggml_get_type_traits(type);
    if (traits == NULL || traits->to_float == NULL || traits->blck_size <= 0 || traits->type_size == 0) {
        return GGML4J_E_UNSUPPORTED;
    }
    if (n_values % traits->blck_size != 0) {
        return GGML4J_E_INVALID_ARG;
    }
    size_t needed = (size_t) (n_values / traits->blck_size) * traits->type_size;
    if (needed > src_size) {
        return GGML4J_E_OUT_OF_RANGE;
    }
    traits->to_float(src, dst, n_values);
    return GGML4J_OK;
}

/* ---- compute --------------------------------------------------------------------------------------- */

int32_t ggml4j_sched_compute(ggml_backend_sched_t sched, struct ggml_cgraph * graph) {
    if (sched == NULL || graph == NULL) {
        return GGML4J_E_INVALID_ARG;
    }
    enum ggml_status st = ggml_backend_sched_graph_compute(sched, graph);
    switch (st) {
        case GGML_STATUS_SUCCESS:      return GGML4J_OK;
        case GGML_STATUS_ABORTED:      return GGML4J_E_ABORTED;
        case GGML_STATUS_ALLOC_FAILED: return GGML4J_E_ALLOC;
        default:                       return GGML4J_E_COMPUTE;
    }
}

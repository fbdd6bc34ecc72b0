/*
 * ggml4j-probe: checks, in a process of its own, that the CPU backend's extra buffer types (AMX, CPU_REPACK,
 * ...) compute mul_mat correctly on this machine before ggml4j places any weight in them.
 *
 *   ggml4j-probe [--backend LIB] [--skip NAME[,NAME...]] [--threads N] [--score]
 *
 * --backend loads one CPU variant library (portable builds, GGML_BACKEND_DL) by path, so each variant is probed
 * in its own process; without it the CPU backend linked into libggml is used. --skip leaves buffer types out
 * (the caller re-runs without the one that crashed). --score only prints the variant line (with ggml's score of
 * the variant library for this CPU) and exits.
 *
 * For every weight type an extra buffer type accepts (ggml_backend_dev_supports_op on a stand-in weight whose
 * buffer is a 0-byte buffer of that type, as ggml4j's WeightLoader asks), mul_mat runs at a decode shape (1
 * column) and two prefill shapes with the weight in that buffer type and in the plain CPU buffer. The plain
 * result is checked against a float64 product of the dequantized weight, the extra one against the plain one,
 * both by normalized mean squared error. Data are deterministic pseudo-random numbers.
 *
 * Output, one line per fact, flushed at once (so whoever reads it can attribute a crash to the last "begin"):
 *   probe 1
 *   variant native | variant PATH score=N
 *   device NAME DESCRIPTION
 *   buft NAME                               (an extra buffer type; "skipped" appended when --skip named it)
 *   begin BUFT TYPE SHAPE                   (BUFT is CPU for the plain reference)
 *   result BUFT TYPE SHAPE ok|fail nmse=X
 *   unsupported BUFT TYPE                   (the buffer type does not take this weight type)
 *   done
 * Exit status 0 when the probe ran to its end (failures are "fail" lines), 2 on bad arguments, 3 when the
 * backend cannot be loaded or initialised, 4 when the variant is not supported by this CPU (score 0).
 *
 * Test hook (never set it in production): GGML4J_PROBE_INJECT=crash:NAME | wrong:NAME | hang:NAME | slow:NAME[,...]
 * makes the probe raise SIGSEGV, report a perturbed result, hang, or pause 2 s once when it reaches buffer type
 * NAME (CPU for the plain path).
 */
#include "ggml.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROBE_VERSION 1
#define MAX_BUFTS 16

/* K a multiple of 256 (K-quants, AMX tiles); N a multiple of 32 (AMX) and 8 (repack), 160 = 128 + 32 columns. */
static const int64_t K = 1024;
static const int64_t N = 160;

struct shape {
    const char * name;
    int64_t m;
};
/* decode, a prefill with a ragged tail (gemm plus gemv paths), and a micro-batch as ggml4j runs prompts */
static const struct shape SHAPES[] = {{"decode", 1}, {"prefill", 37}, {"batch", 512}};
#define N_SHAPES (sizeof(SHAPES) / sizeof(SHAPES[0]))

/* Tolerances (normalized MSE): plain vs float64 covers the activation quantization of the vec_dot type; an
 * extra buffer type vs plain only differs in summation order and activation rounding. Broken kernels give ~1. */
static const double TOL_PLAIN = 2e-3;
static const double TOL_EXTRA = 1e-3;

static const enum ggml_type TYPES[] = {
    GGML_TYPE_F32,    GGML_TYPE_F16,    GGML_TYPE_BF16,   GGML_TYPE_Q4_0,   GGML_TYPE_Q4_1,   GGML_TYPE_Q5_0,
    GGML_TYPE_Q5_1,   GGML_TYPE_Q8_0,   GGML_TYPE_Q2_K,   GGML_TYPE_Q3_K,   GGML_TYPE_Q4_K,   GGML_TYPE_Q5_K,
    GGML_TYPE_Q6_K,   GGML_TYPE_IQ4_NL, GGML_TYPE_IQ4_XS, GGML_TYPE_MXFP4,  GGML_TYPE_NVFP4,  GGML_TYPE_Q1_0,
    GGML_TYPE_Q2_0,   GGML_TYPE_TQ1_0,  GGML_TYPE_TQ2_0,  GGML_TYPE_IQ2_XXS, GGML_TYPE_IQ2_XS, GGML_TYPE_IQ2_S,
    GGML_TYPE_IQ3_XXS, GGML_TYPE_IQ3_S, GGML_TYPE_IQ1_S,  GGML_TYPE_IQ1_M,
};
#define N_TYPES (sizeof(TYPES) / sizeof(TYPES[0]))

/* ---- output --------------------------------------------------------------------------------------------- */

static void out(const char * fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char * fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static void quiet_log(enum ggml_log_level level, const char * text, void * user) {
    (void) user;
    if (level == GGML_LOG_LEVEL_ERROR) {
        fputs(text, stderr);
    }
}

/* ---- injected failures (tests only) ----------------------------------------------------------------------- */

static bool injected(const char * kind, const char * buft) {
    const char * spec = getenv("GGML4J_PROBE_INJECT");
    if (spec == NULL) {
        return false;
    }
    size_t kl = strlen(kind), bl = strlen(buft);
    for (const char * p = spec; *p != '\0';) {
        const char * end = strchr(p, ',');
        size_t len = end != NULL ? (size_t) (end - p) : strlen(p);
        if (len == kl + 1 + bl && strncmp(p, kind, kl) == 0 && p[kl] == ':' && strncmp(p + kl + 1, buft, bl) == 0) {
            return true;
        }
        p += len + (end != NULL ? 1 : 0);
    }
    return false;
}

static void inject_fatal(const char * buft) {
    static bool slept = false;
    if (!slept && injected("slow", buft)) {
        slept = true;
        sleep(2);
    }
    if (injected("crash", buft)) {
        raise(SIGSEGV);
    }
    if (injected("hang", buft)) {
        for (;;) {
            pause();
        }
    }
}

/* ---- data ----------------------------------------------------------------------------------------------- */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static float next_float(void) { /* xorshift64*, uniform in [-1, 1) */
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    uint64_t r = g_rng * 0x2545F4914F6CDD1Dull;
    return (float) ((double) (r >> 11) / (double) (1ull << 53) * 2.0 - 1.0);
}

static double nmse(const float * a, const float * ref, int64_t n) {
    double err = 0, norm = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(a[i])) {
            return INFINITY;
        }
        double d = (double) a[i] - (double) ref[i];
        err += d * d;
        norm += (double) ref[i] * (double) ref[i];
    }
    return norm > 0 ? err / norm : err;
}

/* ---- ggml ----------------------------------------------------------------------------------------------- */

struct env {
    ggml_backend_dev_t dev;
    ggml_backend_t backend;
    ggml_backend_buffer_type_t cpu_buft;
};

/* Whether the device takes mul_mat(W, X) with W of this type held in buft (same question ggml4j's loader asks). */
static bool supports(const struct env * e, ggml_backend_buffer_type_t buft, enum ggml_type type, int64_t m) {
    struct ggml_init_params ip = {ggml_tensor_overhead() * 4, NULL, true};
    struct ggml_context * ctx = ggml_init(ip);
    if (ctx == NULL) {
        return false;
    }
    struct ggml_tensor * w = ggml_new_tensor_2d(ctx, type, K, N);
    struct ggml_tensor * x = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, K, m);
    struct ggml_tensor * y = ggml_mul_mat(ctx, w, x);
    ggml_backend_buffer_t dummy = ggml_backend_buft_alloc_buffer(buft, 0);
    w->buffer = dummy;
    bool ok = dummy != NULL && ggml_backend_dev_supports_op(e->dev, y);
    w->buffer = NULL;
    if (dummy != NULL) {
        ggml_backend_buffer_free(dummy);
    }
    ggml_free(ctx);
    return ok;
}

/* y (N x m) = W x; W's bytes are set into a buffer of wbuft (which repacks them when it is an extra type). */
static bool mul_mat(const struct env * e, ggml_backend_buffer_type_t wbuft, enum ggml_type type, const void * wdata,
                    const float * x, int64_t m, float * y_out) {
    bool ok = false;
    struct ggml_init_params wp = {ggml_tensor_overhead() * 2, NULL, true};
    struct ggml_init_params gp = {ggml_tensor_overhead() * 8 + ggml_graph_overhead(), NULL, true};
    struct ggml_context * wctx = ggml_init(wp);
    struct ggml_context * gctx = ggml_init(gp);
    ggml_backend_buffer_t wbuf = NULL, gbuf = NULL;
    if (wctx == NULL || gctx == NULL) {
        goto done;
    }
    struct ggml_tensor * w = ggml_new_tensor_2d(wctx, type, K, N);
    wbuf = ggml_backend_alloc_ctx_tensors_from_buft(wctx, wbuft);
    if (wbuf == NULL) {
        goto done;
    }
    ggml_backend_buffer_set_usage(wbuf, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
    ggml_backend_tensor_set(w, wdata, 0, ggml_nbytes(w));
    struct ggml_tensor * xt = ggml_new_tensor_2d(gctx, GGML_TYPE_F32, K, m);
    struct ggml_tensor * y = ggml_mul_mat(gctx, w, xt);
    struct ggml_cgraph * gf = ggml_new_graph(gctx);
    ggml_build_forward_expand(gf, y);
    gbuf = ggml_backend_alloc_ctx_tensors_from_buft(gctx, e->cpu_buft);
    if (gbuf == NULL) {
        goto done;
    }
    ggml_backend_tensor_set(xt, x, 0, ggml_nbytes(xt));
    if (ggml_backend_graph_compute(e->backend, gf) != GGML_STATUS_SUCCESS) {
        goto done;
    }
    ggml_backend_tensor_get(y, y_out, 0, ggml_nbytes(y));
    ok = true;
done:
    if (gbuf != NULL) {
        ggml_backend_buffer_free(gbuf);
    }
    if (wbuf != NULL) {
        ggml_backend_buffer_free(wbuf);
    }
    if (gctx != NULL) {
        ggml_free(gctx);
    }
    if (wctx != NULL) {
        ggml_free(wctx);
    }
    return ok;
}

/* ---- the probe ------------------------------------------------------------------------------------------ */

struct weight {
    void * data;      /* quantized bytes */
    float * deq;      /* the same, dequantized */
    float * plain[N_SHAPES];
    bool plain_ok;
};

static bool make_weight(enum ggml_type type, const float * src, struct weight * w) {
    size_t bytes = ggml_row_size(type, K) * (size_t) N;
    w->data = malloc(bytes);
    w->deq = malloc(sizeof(float) * (size_t) (K * N));
    if (w->data == NULL || w->deq == NULL) {
        return false;
    }
    float * imatrix = NULL;
    if (ggml_quantize_requires_imatrix(type)) {
        imatrix = malloc(sizeof(float) * (size_t) K);
        if (imatrix == NULL) {
            return false;
        }
        for (int64_t i = 0; i < K; i++) {
            imatrix[i] = 1.0f;
        }
    }
    ggml_quantize_chunk(type, src, w->data, 0, N, K, imatrix);
    free(imatrix);
    const struct ggml_type_traits * tr = ggml_get_type_traits(type);
    if (tr->to_float == NULL) {
        return false;
    }
    tr->to_float(w->data, w->deq, K * N);
    return true;
}

/* The plain CPU results for every shape, each checked against float64. Attributed to buffer type "CPU". */
static void run_plain(const struct env * e, enum ggml_type type, struct weight * w, float * const xs[N_SHAPES],
                      float * ref) {
    const char * tn = ggml_type_name(type);
    w->plain_ok = true;
    for (size_t s = 0; s < N_SHAPES; s++) {
        int64_t m = SHAPES[s].m;
        out("begin CPU %s %s", tn, SHAPES[s].name);
        inject_fatal("CPU");
        w->plain[s] = malloc(sizeof(float) * (size_t) (N * m));
        if (w->plain[s] == NULL || !mul_mat(e, e->cpu_buft, type, w->data, xs[s], m, w->plain[s])) {
            out("result CPU %s %s fail nmse=inf compute-failed", tn, SHAPES[s].name);
            w->plain_ok = false;
            continue;
        }
        for (int64_t j = 0; j < m; j++) {
            for (int64_t i = 0; i < N; i++) {
                double acc = 0;
                for (int64_t k = 0; k < K; k++) {
                    acc += (double) w->deq[i * K + k] * (double) xs[s][j * K + k];
                }
                ref[j * N + i] = (float) acc;
            }
        }
        if (injected("wrong", "CPU")) {
            w->plain[s][0] += 100.0f;
        }
        double err = nmse(w->plain[s], ref, N * m);
        bool pass = err <= TOL_PLAIN;
        out("result CPU %s %s %s nmse=%.3g", tn, SHAPES[s].name, pass ? "ok" : "fail", err);
        w->plain_ok &= pass;
    }
}

static void run_extra(const struct env * e, ggml_backend_buffer_type_t buft, const char * bn, enum ggml_type type,
                      const struct weight * w, float * const xs[N_SHAPES], float * y) {
    const char * tn = ggml_type_name(type);
    for (size_t s = 0; s < N_SHAPES; s++) {
        int64_t m = SHAPES[s].m;
        out("begin %s %s %s", bn, tn, SHAPES[s].name);
        inject_fatal(bn);
        if (!mul_mat(e, buft, type, w->data, xs[s], m, y)) {
            out("result %s %s %s fail nmse=inf compute-failed", bn, tn, SHAPES[s].name);
            continue;
        }
        if (injected("wrong", bn)) {
            for (int64_t i = 0; i < N * m; i += 7) {
                y[i] = -y[i];
            }
        }
        double err = nmse(y, w->plain[s], N * m);
        out("result %s %s %s %s nmse=%.3g", bn, tn, SHAPES[s].name, err <= TOL_EXTRA ? "ok" : "fail", err);
    }
}

static bool listed(const char * list, const char * name) {
    if (list == NULL) {
        return false;
    }
    size_t nl = strlen(name);
    for (const char * p = list; *p != '\0';) {
        const char * end = strchr(p, ',');
        size_t len = end != NULL ? (size_t) (end - p) : strlen(p);
        if (len == nl && strncmp(p, name, nl) == 0) {
            return true;
        }
        p += len + (end != NULL ? 1 : 0);
    }
    return false;
}

typedef int (*score_fn_t)(void);

static int load_variant(const char * path, bool score_only) {
    /* the score first: ggml_backend_load refuses a variant this CPU cannot run, and says so only in its log */
    void * h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        out("error cannot open %s: %s", path, dlerror());
        return 3;
    }
    score_fn_t score = (score_fn_t) dlsym(h, "ggml_backend_score");
    int sc = score != NULL ? score() : -1;
    out("variant %s score=%d", path, sc);
    if (sc == 0 || score_only) {
        dlclose(h);
        return sc == 0 ? 4 : 0;
    }
    if (ggml_backend_load(path) == NULL) {
        out("error ggml_backend_load failed for %s", path);
        dlclose(h);
        return 3;
    }
    dlclose(h); /* ggml holds its own handle now */
    return 0;
}

int main(int argc, char ** argv) {
    const char * backend = NULL;
    const char * skip = NULL;
    bool score_only = false;
    int threads = (int) sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) {
        threads = 1;
    } else if (threads > 8) {
        threads = 8;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc) {
            backend = argv[++i];
        } else if (strcmp(argv[i], "--skip") == 0 && i + 1 < argc) {
            skip = argv[++i];
        } else if (strcmp(argv[i], "--score") == 0) {
            score_only = true;
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            threads = atoi(argv[++i]);
            if (threads < 1 || threads > 512) {
                fprintf(stderr, "ggml4j-probe: bad --threads %s\n", argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: ggml4j-probe [--backend LIB] [--skip NAME[,NAME...]] [--threads N] [--score]\n");
            return 2;
        }
    }
    ggml_log_set(quiet_log, NULL);
    out("probe %d", PROBE_VERSION);
    if (backend != NULL) {
        int st = load_variant(backend, score_only);
        if (st != 0 || score_only) {
            return st;
        }
    } else {
        out("variant native");
        if (score_only) {
            return 0;
        }
    }

    struct env e;
    e.dev = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    if (e.dev == NULL) {
        out("error no CPU device");
        return 3;
    }
    out("device %s %s", ggml_backend_dev_name(e.dev), ggml_backend_dev_description(e.dev));
    e.backend = ggml_backend_dev_init(e.dev, NULL);
    if (e.backend == NULL) {
        out("error cannot initialise the CPU backend");
        return 3;
    }
    e.cpu_buft = ggml_backend_dev_buffer_type(e.dev);
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(e.dev);
    ggml_backend_set_n_threads_t set_threads =
        (ggml_backend_set_n_threads_t) ggml_backend_reg_get_proc_address(reg, "ggml_backend_set_n_threads");
    if (set_threads != NULL) {
        set_threads(e.backend, threads);
    }

    ggml_backend_buffer_type_t bufts[MAX_BUFTS];
    int n_bufts = 0;
    ggml_backend_dev_get_extra_bufts_t get_extra =
        (ggml_backend_dev_get_extra_bufts_t) ggml_backend_reg_get_proc_address(reg, "ggml_backend_dev_get_extra_bufts");
    if (get_extra != NULL) {
        for (ggml_backend_buffer_type_t * p = get_extra(e.dev); p != NULL && *p != NULL && n_bufts < MAX_BUFTS; p++) {
            const char * bn = ggml_backend_buft_name(*p);
            bool skipped = listed(skip, bn);
            out("buft %s%s", bn, skipped ? " skipped" : "");
            if (!skipped) {
                bufts[n_bufts++] = *p;
            }
        }
    }

    /* shared inputs: one weight matrix of floats, activations per shape */
    float * src = malloc(sizeof(float) * (size_t) (K * N));
    float * xs[N_SHAPES];
    int64_t max_m = 0;
    for (size_t s = 0; s < N_SHAPES; s++) {
        max_m = SHAPES[s].m > max_m ? SHAPES[s].m : max_m;
    }
    float * ref = malloc(sizeof(float) * (size_t) (N * max_m));
    float * y = malloc(sizeof(float) * (size_t) (N * max_m));
    if (src == NULL || ref == NULL || y == NULL) {
        out("error out of memory");
        return 3;
    }
    for (int64_t i = 0; i < K * N; i++) {
        src[i] = next_float() * 0.5f;
    }
    for (size_t s = 0; s < N_SHAPES; s++) {
        xs[s] = malloc(sizeof(float) * (size_t) (K * SHAPES[s].m));
        if (xs[s] == NULL) {
            out("error out of memory");
            return 3;
        }
        for (int64_t i = 0; i < K * SHAPES[s].m; i++) {
            xs[s][i] = next_float();
        }
    }

    for (size_t t = 0; t < N_TYPES; t++) {
        enum ggml_type type = TYPES[t];
        bool wanted[MAX_BUFTS];
        bool any = false;
        for (int b = 0; b < n_bufts; b++) {
            wanted[b] = supports(&e, bufts[b], type, SHAPES[0].m);
            any |= wanted[b];
            if (!wanted[b]) {
                out("unsupported %s %s", ggml_backend_buft_name(bufts[b]), ggml_type_name(type));
            }
        }
        /* the plain path is checked for types an extra buffer type takes, and for the common weight types */
        bool common = type == GGML_TYPE_F16 || type == GGML_TYPE_Q4_0 || type == GGML_TYPE_Q8_0 || type == GGML_TYPE_Q4_K;
        if (!any && !common) {
            continue;
        }
        struct weight w = {0};
        if (!make_weight(type, src, &w)) {
            out("error cannot quantize %s", ggml_type_name(type));
            return 3;
        }
        run_plain(&e, type, &w, xs, ref);
        for (int b = 0; b < n_bufts; b++) {
            if (!wanted[b]) {
                continue;
            }
            const char * bn = ggml_backend_buft_name(bufts[b]);
            if (!w.plain_ok) {
                out("result %s %s all fail nmse=inf plain-reference-failed", bn, ggml_type_name(type));
                continue;
            }
            run_extra(&e, bufts[b], bn, type, &w, xs, y);
        }
        for (size_t s = 0; s < N_SHAPES; s++) {
            free(w.plain[s]);
        }
        free(w.data);
        free(w.deq);
    }
    out("done");
    for (size_t s = 0; s < N_SHAPES; s++) {
        free(xs[s]);
    }
    free(src);
    free(ref);
    free(y);
    ggml_backend_free(e.backend);
    return 0;
}

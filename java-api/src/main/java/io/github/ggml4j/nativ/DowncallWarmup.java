package io.github.ggml4j.nativ;

import io.github.ggml4j.internal.ggml.GgmlLib;

/**
 * Links, on a background thread, the downcalls that loading a model, starting its engine and building its
 * first graphs make, so that the thread doing that work finds them linked. Linking is what a short command's
 * start-up mostly costs on the Java side: each downcall of a new signature builds its method-handle adapters
 * (about 2 ms each before the JIT has compiled anything, some 40 signatures for a Llama decode), and the AOT
 * cache cannot hold them. Functions that share a signature then link in microseconds, so the list is about
 * signatures; one missing from it is linked where it is first called, as before.
 *
 * <p>Runs only with more than one processor (with one it would only take the same time away from the loader)
 * and unless {@code -Dggml4j.link.ahead=false}. It calls no native function: asking for a handle links it.
 */
final class DowncallWarmup {

    static final String PROPERTY = "ggml4j.link.ahead";

    private DowncallWarmup() {
    }

    /** Starts linking in the background (the libraries must be loaded); false if it did not. */
    static boolean start() {
        if (Runtime.getRuntime().availableProcessors() < 2 || !Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))) {
            return false;
        }
        Thread.ofPlatform().name("ggml4j-link").daemon().start(() -> {
            try {
                link();
            } catch (RuntimeException | LinkageError e) {
                // not reported here: the same downcall fails again where it is used, and is reported there
            }
        });
        return true;
    }

    /** Links every listed downcall; throws what linking one of them threw. */
    static void link() {
        // last-needed first: the loading thread links from the other end, and the two meet in between
        graphs();
        engine();
        loading();
    }

    /** Weight placement and binding. */
    private static void loading() {
        GgmlLib.ggml_backend_dev_by_type$handle();
        GgmlLib.ggml_backend_dev_buffer_type$handle();
        GgmlLib.ggml4j_dev_extra_bufts$handle();
        GgmlLib.ggml_backend_buft_name$handle();
        GgmlLib.ggml_backend_dev_count$handle();
        GgmlLib.ggml_backend_dev_get$handle();
        GgmlLib.ggml_backend_dev_type$handle();
        GgmlLib.ggml_tensor_overhead$handle();
        GgmlLib.ggml_init$handle();
        GgmlLib.ggml_new_tensor$handle();
        GgmlLib.ggml_get_rows$handle();
        GgmlLib.ggml_backend_buft_alloc_buffer$handle();
        GgmlLib.ggml_backend_dev_supports_op$handle();
        GgmlLib.ggml_backend_buffer_free$handle();
        GgmlLib.ggml_free$handle();
        GgmlLib.ggml_set_name$handle();
        GgmlLib.ggml_mul$handle();
        GgmlLib.ggml_mul_mat$handle();
        GgmlLib.ggml_backend_cpu_buffer_from_ptr$handle();
        GgmlLib.ggml_backend_buffer_set_usage$handle();
        GgmlLib.ggml_backend_tensor_alloc$handle();
    }

    /** The engine's buffers, scheduler and a step's compute. */
    private static void engine() {
        GgmlLib.ggml_backend_dev_init$handle();
        GgmlLib.ggml4j_backend_set_n_threads$handle();
        GgmlLib.ggml4j_backend_set_cancel_flag$handle();
        GgmlLib.ggml_backend_buft_get_alloc_size$handle();
        GgmlLib.ggml_backend_buft_get_alignment$handle();
        GgmlLib.ggml_backend_buffer_clear$handle();
        GgmlLib.ggml_backend_buffer_get_base$handle();
        GgmlLib.ggml_backend_buffer_get_type$handle();
        GgmlLib.ggml_backend_sched_new$handle();
        GgmlLib.ggml_graph_overhead_custom$handle();
        GgmlLib.ggml_reset$handle();
        GgmlLib.ggml_new_graph_custom$handle();
        GgmlLib.ggml_backend_sched_reserve$handle();
        GgmlLib.ggml_backend_sched_reset$handle();
        GgmlLib.ggml_backend_sched_alloc_graph$handle();
        GgmlLib.ggml4j_tensor_set$handle();
        GgmlLib.ggml4j_sched_compute$handle();
        GgmlLib.ggml4j_tensor_get$handle();
        GgmlLib.ggml4j_argmax_f32$handle();
    }

    /** Graph building: the ops of the decoder recipes' shared toolkit. */
    private static void graphs() {
        GgmlLib.ggml_set_input$handle();
        GgmlLib.ggml_set_output$handle();
        GgmlLib.ggml_build_forward_expand$handle();
        GgmlLib.ggml_rms_norm$handle();
        GgmlLib.ggml_norm$handle();
        GgmlLib.ggml_reshape_2d$handle();
        GgmlLib.ggml_reshape_3d$handle();
        GgmlLib.ggml_view_1d$handle();
        GgmlLib.ggml_view_2d$handle();
        GgmlLib.ggml_view_3d$handle();
        GgmlLib.ggml_view_4d$handle();
        GgmlLib.ggml_permute$handle();
        GgmlLib.ggml_transpose$handle();
        GgmlLib.ggml_cont$handle();
        GgmlLib.ggml_cpy$handle();
        GgmlLib.ggml_set_rows$handle();
        GgmlLib.ggml_row_size$handle();
        GgmlLib.ggml_rope_ext$handle();
        GgmlLib.ggml_flash_attn_ext$handle();
        GgmlLib.ggml_prec_set_acc$handle();
        GgmlLib.ggml_soft_max_ext$handle();
        GgmlLib.ggml_scale$handle();
        GgmlLib.ggml_add$handle();
        GgmlLib.ggml_swiglu_split$handle();
        GgmlLib.ggml_silu$handle();
        GgmlLib.ggml_gelu$handle();
    }
}

/*
 * libggml4j-logflush: preloaded (LD_PRELOAD) into llama.cpp's own tools when the tests run them.
 *
 * llama.cpp's tools print through libllama-common's asynchronous logger, whose worker thread is never joined: the
 * logger is a leaked singleton, so a tool that returns from main() can exit while the worker still holds lines
 * (llama-embedding lost all of its vectors in half the runs on a 2-core Xeon). This library's destructor runs at
 * exit, after main() has returned, and calls libllama-common's own common_log_flush(), which drains the queue and
 * joins the worker. It is looked up at run time, so the library links nothing of llama.cpp and does nothing in a
 * program without that logger.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

typedef void * (*common_log_main_fn)(void);
typedef void (*common_log_flush_fn)(void *);

__attribute__((destructor)) static void ggml4j_flush_llama_log(void) {
    /* the C++ names of common_log_main() and common_log_flush(common_log *) */
    common_log_main_fn log_main = (common_log_main_fn) dlsym(RTLD_DEFAULT, "_Z15common_log_mainv");
    common_log_flush_fn log_flush = (common_log_flush_fn) dlsym(RTLD_DEFAULT, "_Z16common_log_flushP10common_log");
    if (log_main != NULL && log_flush != NULL) {
        log_flush(log_main());
    }
}
